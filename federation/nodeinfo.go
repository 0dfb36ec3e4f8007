package federation

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
)

// NodeInfo discovery (FEP-f1d5) and schema identifiers.
const (
	NodeInfoWellKnownPath = "/.well-known/nodeinfo"
	HostMetaPath          = "/.well-known/host-meta"
	NodeInfoSchema20      = "http://nodeinfo.diaspora.software/ns/schema/2.0"
	NodeInfoSchema21      = "http://nodeinfo.diaspora.software/ns/schema/2.1"
)

// NodeInfoPath returns the path odn serves a NodeInfo version at,
// "/nodeinfo/2.0" or "/nodeinfo/2.1".
func NodeInfoPath(version string) string { return "/nodeinfo/" + version }

// NodeInfo is a NodeInfo 2.0 or 2.1 document.
type NodeInfo struct {
	Version           string           `json:"version"`
	Software          NodeInfoSoftware `json:"software"`
	Protocols         []string         `json:"protocols"`
	Services          NodeInfoServices `json:"services"`
	OpenRegistrations bool             `json:"openRegistrations"`
	Usage             NodeInfoUsage    `json:"usage"`
	Metadata          map[string]any   `json:"metadata"`
}

// NodeInfoSoftware names the server software. Repository and Homepage
// exist only in 2.1 and are dropped from 2.0 documents.
type NodeInfoSoftware struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

// NodeInfoServices lists third-party services; odn uses none, and the
// schema wants both arrays present.
type NodeInfoServices struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

// NodeInfoUsage holds the public usage counts.
type NodeInfoUsage struct {
	Users      NodeInfoUsers `json:"users"`
	LocalPosts int64         `json:"localPosts"`
}

// NodeInfoUsers counts local users: all, active in the last 30 days and
// in the last 180 days.
type NodeInfoUsers struct {
	Total          int64 `json:"total"`
	ActiveMonth    int64 `json:"activeMonth"`
	ActiveHalfyear int64 `json:"activeHalfyear"`
}

// softwareName is the schema's pattern for software.name.
var softwareName = regexp.MustCompile(`^[a-z0-9-]+$`)

// NewNodeInfo builds a NodeInfo document of version "2.0" or "2.1" for
// the activitypub protocol. sw.Name must match the schema (^[a-z0-9-]+$,
// "odn"); metadata may be nil.
func NewNodeInfo(version string, sw NodeInfoSoftware, usage NodeInfoUsage, openRegistrations bool, metadata map[string]any) (NodeInfo, error) {
	switch version {
	case "2.0":
		sw.Repository, sw.Homepage = "", ""
	case "2.1":
	default:
		return NodeInfo{}, fmt.Errorf("federation: unsupported NodeInfo version %q", version)
	}
	if !softwareName.MatchString(sw.Name) || sw.Version == "" {
		return NodeInfo{}, fmt.Errorf("federation: NodeInfo software %q %q does not fit the schema", sw.Name, sw.Version)
	}
	if metadata == nil {
		metadata = map[string]any{}
	}
	return NodeInfo{
		Version:           version,
		Software:          sw,
		Protocols:         []string{"activitypub"},
		Services:          NodeInfoServices{Inbound: []string{}, Outbound: []string{}},
		OpenRegistrations: openRegistrations,
		Usage:             usage,
		Metadata:          metadata,
	}, nil
}

// ContentType is the media type to serve n with.
func (n NodeInfo) ContentType() string {
	return `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/` + n.Version + `#"`
}

// NodeInfoLinks is the /.well-known/nodeinfo discovery document.
type NodeInfoLinks struct {
	Links []Link `json:"links"`
}

// NewNodeInfoLinks returns the discovery document pointing at the 2.1 and
// 2.0 documents under baseURL (scheme://host[:port], no trailing slash
// needed).
func NewNodeInfoLinks(baseURL string) NodeInfoLinks {
	base := strings.TrimSuffix(baseURL, "/")
	return NodeInfoLinks{Links: []Link{
		{Rel: NodeInfoSchema21, Href: base + NodeInfoPath("2.1")},
		{Rel: NodeInfoSchema20, Href: base + NodeInfoPath("2.0")},
	}}
}

// HostMeta returns the host-meta XRD document (RFC 6415) whose lrdd
// template points at WebFinger under baseURL. Serve it as XRDType.
func HostMeta(baseURL string) string {
	type link struct {
		Rel      string `xml:"rel,attr"`
		Type     string `xml:"type,attr,omitempty"`
		Template string `xml:"template,attr"`
	}
	type xrd struct {
		XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Links   []link   `xml:"Link"`
	}
	doc := xrd{Links: []link{{
		Rel:      "lrdd",
		Type:     JRDType,
		Template: strings.TrimSuffix(baseURL, "/") + WebFingerPath + "?resource={uri}",
	}}}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil { // only reachable with an unmarshalable type, which this is not
		panic(err)
	}
	return xml.Header + string(out) + "\n"
}
