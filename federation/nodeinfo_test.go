package federation

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

func TestNewNodeInfo(t *testing.T) {
	sw := NodeInfoSoftware{Name: "odn", Version: "0.1.0", Repository: "https://github.com/opendemocracynow/odn", Homepage: "https://opendemocracynow.org"}
	usage := NodeInfoUsage{Users: NodeInfoUsers{Total: 10, ActiveMonth: 4, ActiveHalfyear: 7}, LocalPosts: 42}
	tests := []struct {
		version string
		sw      NodeInfoSoftware
		ok      bool
		want    string
	}{
		{version: "2.1", sw: sw, ok: true,
			want: `{"version":"2.1","software":{"name":"odn","version":"0.1.0","repository":"https://github.com/opendemocracynow/odn","homepage":"https://opendemocracynow.org"},"protocols":["activitypub"],"services":{"inbound":[],"outbound":[]},"openRegistrations":true,"usage":{"users":{"total":10,"activeMonth":4,"activeHalfyear":7},"localPosts":42},"metadata":{"nodeName":"Lyon"}}`},
		{version: "2.0", sw: sw, ok: true,
			want: `{"version":"2.0","software":{"name":"odn","version":"0.1.0"},"protocols":["activitypub"],"services":{"inbound":[],"outbound":[]},"openRegistrations":true,"usage":{"users":{"total":10,"activeMonth":4,"activeHalfyear":7},"localPosts":42},"metadata":{"nodeName":"Lyon"}}`},
		{version: "1.0", sw: sw},
		{version: "2.1", sw: NodeInfoSoftware{Name: "ODN", Version: "1"}},
		{version: "2.1", sw: NodeInfoSoftware{Name: "odn"}},
	}
	for _, tt := range tests {
		n, err := NewNodeInfo(tt.version, tt.sw, usage, true, map[string]any{"nodeName": "Lyon"})
		if (err == nil) != tt.ok {
			t.Errorf("NewNodeInfo(%s, %+v) err = %v", tt.version, tt.sw, err)
			continue
		}
		if !tt.ok {
			continue
		}
		raw, _ := json.Marshal(n)
		if string(raw) != tt.want {
			t.Errorf("NodeInfo %s =\n%s\nwant\n%s", tt.version, raw, tt.want)
		}
		if !strings.Contains(n.ContentType(), "schema/"+tt.version+"#") {
			t.Errorf("ContentType = %s", n.ContentType())
		}
	}
	n, _ := NewNodeInfo("2.0", sw, NodeInfoUsage{}, false, nil)
	if raw, _ := json.Marshal(n); !strings.Contains(string(raw), `"metadata":{}`) {
		t.Errorf("nil metadata must encode as {}: %s", raw)
	}
}

func TestNodeInfoLinks(t *testing.T) {
	raw, _ := json.Marshal(NewNodeInfoLinks("https://odn.example/"))
	want := `{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"https://odn.example/nodeinfo/2.1"},` +
		`{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"https://odn.example/nodeinfo/2.0"}]}`
	if string(raw) != want {
		t.Errorf("links =\n%s\nwant\n%s", raw, want)
	}
}

func TestHostMeta(t *testing.T) {
	got := HostMeta(`https://odn.example/"><x a="`)
	var doc struct {
		Links []struct {
			Rel      string `xml:"rel,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Link"`
	}
	if err := xml.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatalf("host-meta is not XML: %v\n%s", err, got)
	}
	if len(doc.Links) != 1 || doc.Links[0].Rel != "lrdd" ||
		doc.Links[0].Template != `https://odn.example/"><x a="/.well-known/webfinger?resource={uri}` {
		t.Errorf("host-meta = %s", got)
	}
	plain := HostMeta("https://odn.example")
	if !strings.HasPrefix(plain, "<?xml") || !strings.Contains(plain, `xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"`) ||
		!strings.Contains(plain, `template="https://odn.example/.well-known/webfinger?resource={uri}"`) {
		t.Errorf("host-meta = %s", plain)
	}
}
