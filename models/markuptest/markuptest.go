// Package markuptest checks, in tests and fuzz targets, what a browser
// would find in HTML that odn stores or sends: which elements and
// attributes, and which link schemes.
package markuptest

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Policy is what Check allows: the elements, the attributes besides href
// (on any allowed element), and the schemes of href ("" allows relative
// links).
type Policy struct {
	Elements map[string]bool
	Attrs    map[string]bool
	Schemes  map[string]bool
}

// Check tokenizes out as a browser would and returns an error naming the
// first element, attribute or link the policy does not allow.
func Check(out string, p Policy) error {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !p.Elements[tok.Data] {
				return fmt.Errorf("element %q in %q", tok.Data, out)
			}
			for _, a := range tok.Attr {
				switch {
				case a.Key == "href":
					u, err := url.Parse(strings.TrimSpace(a.Val))
					if err != nil || !p.Schemes[u.Scheme] {
						return fmt.Errorf("href %q in %q", a.Val, out)
					}
				case !p.Attrs[a.Key]:
					return fmt.Errorf("attribute %q in %q", a.Key, out)
				}
			}
		}
	}
}
