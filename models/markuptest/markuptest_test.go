package markuptest

import "testing"

func TestCheck(t *testing.T) {
	p := Policy{
		Elements: map[string]bool{"p": true, "a": true},
		Attrs:    map[string]bool{"rel": true},
		Schemes:  map[string]bool{"https": true},
	}
	for _, c := range []struct {
		html string
		ok   bool
	}{
		{`<p>text <a href="https://a.example/" rel="nofollow">x</a></p>`, true},
		{`plain &lt;script&gt; text`, true},
		{`<script>alert(1)</script>`, false},
		{`<p onclick="x">y</p>`, false},
		{`<a href="javascript:alert(1)">x</a>`, false},
		{`<a href=" JAVASCRIPT:x">x</a>`, false},
		{`<a href="/relative">x</a>`, false}, // "" is not among p.Schemes
		{`<p style="color:red">y</p>`, false},
		{`<img src=x>`, false},
	} {
		if err := Check(c.html, p); (err == nil) != c.ok {
			t.Errorf("Check(%q) = %v, want ok %v", c.html, err, c.ok)
		}
	}
}
