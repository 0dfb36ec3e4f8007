package federation

import (
	"strings"
	"testing"
)

func TestSanitizeIncomingHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs kept", "<p>a<br>b</p>", "<p>a<br>b</p>"},
		{"formatting kept", "<strong>s</strong><em>e</em><b>b</b><i>i</i><u>u</u><del>d</del>", "<strong>s</strong><em>e</em><b>b</b><i>i</i><u>u</u><del>d</del>"},
		{"lists and quotes", "<ul><li>x</li></ul><ol><li>y</li></ol><blockquote>q</blockquote><pre><code>c</code></pre>", "<ul><li>x</li></ul><ol><li>y</li></ol><blockquote>q</blockquote><pre><code>c</code></pre>"},
		{"script dropped", "<p>hi<script>alert(1)</script></p>", "<p>hi</p>"},
		{"event handler dropped", `<p onclick="x()">hi</p>`, "<p>hi</p>"},
		{"img dropped", `<img src="https://a.example/x.png" onerror="x()">`, ""},
		{"style dropped", `<span style="color:red">r</span>`, "<span>r</span>"},
		{"headings flattened", "<h1>T</h1>", "T"},
		{"javascript link", `<a href="javascript:alert(1)">x</a>`, "x"},
		{"data link", `<a href="data:text/html,hi">x</a>`, "x"},
		{"relative link", `<a href="/local">x</a>`, "x"},
		{"link gets rel and target", `<a href="https://a.example/">x</a>`,
			`<a href="https://a.example/" rel="nofollow noreferrer noopener" target="_blank">x</a>`},
		{"mention kept", `<span class="h-card"><a href="https://a.example/@bob" class="u-url mention">@<span>bob</span></a></span>`,
			`<span class="h-card"><a href="https://a.example/@bob" class="u-url mention" rel="nofollow noreferrer noopener" target="_blank">@<span>bob</span></a></span>`},
		{"hashtag rel tag kept", `<a href="https://a.example/tags/x" class="mention hashtag" rel="tag">#x</a>`,
			`<a href="https://a.example/tags/x" class="mention hashtag" rel="tag nofollow noreferrer noopener" target="_blank">#x</a>`},
		{"foreign class dropped", `<span class="evil-overlay">x</span>`, "<span>x</span>"},
		{"iframe dropped", `<iframe src="https://a.example"></iframe>ok`, "ok"},
		{"text escaped", `1 < 2 & "q"`, `1 &lt; 2 &amp; &#34;q&#34;`},
	}
	for _, tt := range tests {
		if got := SanitizeIncomingHTML(tt.in); got != tt.want {
			t.Errorf("%s: SanitizeIncomingHTML(%q)\n got %q\nwant %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestExtensionHelpers(t *testing.T) {
	m := map[string]any{
		"sensitive": true, "votersCount": float64(12), "half": 1.5, "neg": float64(-1), "str": "1",
		"endpoints": map[string]any{"sharedInbox": "https://a.example/inbox"},
	}
	if v, ok := BoolProperty(m, "sensitive"); !v || !ok {
		t.Error("sensitive")
	}
	if _, ok := BoolProperty(m, "str"); ok {
		t.Error("string read as bool")
	}
	for name, want := range map[string]bool{"votersCount": true, "half": false, "neg": false, "str": false, "missing": false} {
		if _, ok := IntProperty(m, name); ok != want {
			t.Errorf("IntProperty(%s) ok = %v", name, ok)
		}
	}
	if SharedInbox(m) != "https://a.example/inbox" || SharedInbox(map[string]any{"endpoints": "x"}) != "" {
		t.Error("SharedInbox")
	}
	if got := ActorEndpoints("https://a.example/inbox"); SharedInbox(got) != "https://a.example/inbox" {
		t.Errorf("ActorEndpoints = %v", got)
	}
	if h := Hashtag("#x", "u"); h["name"] != "#x" || !strings.HasPrefix(Hashtag("y", "u")["name"].(string), "#") {
		t.Error("Hashtag name")
	}
}
