package federation

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
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

// Software asks the server at origin (scheme://host of one of its actors)
// which software it runs: /.well-known/nodeinfo, then the newest 2.x
// document it links on the same host. The name is lower-case and fits the
// schema's pattern, else an error. Requests are not signed.
func (f *Fetcher) Software(ctx context.Context, origin string) (string, error) {
	u, err := f.checkURL(origin)
	if err != nil {
		return "", err
	}
	wk := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: NodeInfoWellKnownPath}
	body, _, err := f.get(ctx, wk, "application/json", false)
	if err != nil {
		return "", fmt.Errorf("nodeinfo %s: %w", u.Host, err)
	}
	href, err := ParseNodeInfoLinks(body)
	if err != nil {
		return "", fmt.Errorf("nodeinfo %s: %w", u.Host, err)
	}
	doc, err := f.checkURL(href)
	if err != nil || !sameHost(doc, u) {
		return "", fmt.Errorf("nodeinfo %s: document at %q is not on the same host", u.Host, href)
	}
	if body, _, err = f.get(ctx, doc, "application/json", false); err != nil {
		return "", fmt.Errorf("nodeinfo %s: %w", u.Host, err)
	}
	name, err := ParseNodeInfoSoftware(body)
	if err != nil {
		return "", fmt.Errorf("nodeinfo %s: %w", u.Host, err)
	}
	return name, nil
}

// nodeInfoSchemaPrefix starts the rel of every NodeInfo 2.x link.
const nodeInfoSchemaPrefix = "http://nodeinfo.diaspora.software/ns/schema/2."

// ParseNodeInfoLinks returns the href of the newest NodeInfo 2.x document
// a /.well-known/nodeinfo answer links (peer input: nothing is trusted).
func ParseNodeInfoLinks(body []byte) (string, error) {
	var links NodeInfoLinks
	if err := json.Unmarshal(body, &links); err != nil {
		return "", fmt.Errorf("discovery document: %w", err)
	}
	best, bestMinor := "", -1
	for _, l := range links.Links {
		minor, ok := strings.CutPrefix(l.Rel, nodeInfoSchemaPrefix)
		n, err := strconv.Atoi(minor)
		if !ok || err != nil || n < 0 || l.Href == "" {
			continue
		}
		if n > bestMinor {
			best, bestMinor = l.Href, n
		}
	}
	if best == "" {
		return "", errors.New("no NodeInfo 2.x link")
	}
	return best, nil
}

// ParseNodeInfoSoftware returns software.name of a NodeInfo document,
// lower-cased (some servers capitalise it) and checked against the
// schema's pattern.
func ParseNodeInfoSoftware(body []byte) (string, error) {
	var doc struct {
		Software struct {
			Name string `json:"name"`
		} `json:"software"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("NodeInfo document: %w", err)
	}
	name := strings.ToLower(strings.TrimSpace(doc.Software.Name))
	if len(name) > 64 || !softwareName.MatchString(name) {
		return "", fmt.Errorf("NodeInfo software name %.80q does not fit the schema", name)
	}
	return name, nil
}
