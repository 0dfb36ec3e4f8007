package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The types below are the OpenAPI 3.1 objects docs/openapi.yaml uses,
// with every field the specification allows. decodeStrict refuses any
// other key, so a key that is no keyword (a typo, or the tail of an
// unquoted description cut at its comma by YAML's flow syntax: `{description:
// a, b}` is the keys "description" and "b") fails the test rather than
// being ignored by every tool. Specification extensions (x-…) are not
// used: add an inline map here if they ever are.

type oasDocument struct {
	OpenAPI           string                  `json:"openapi"`
	Info              oasInfo                 `json:"info"`
	JSONSchemaDialect string                  `json:"jsonSchemaDialect"`
	Servers           []oasServer             `json:"servers"`
	Paths             map[string]*oasPathItem `json:"paths"`
	Webhooks          map[string]*oasPathItem `json:"webhooks"`
	Components        oasComponents           `json:"components"`
	Security          []map[string][]string   `json:"security"`
	Tags              []oasTag                `json:"tags"`
	ExternalDocs      *oasExternalDocs        `json:"externalDocs"`
}

type oasInfo struct {
	Title          string `json:"title"`
	Summary        string `json:"summary"`
	Description    string `json:"description"`
	TermsOfService string `json:"termsOfService"`
	Version        string `json:"version"`
	Contact        *struct {
		Name  string `json:"name"`
		URL   string `json:"url"`
		Email string `json:"email"`
	} `json:"contact"`
	License *struct {
		Name       string `json:"name"`
		Identifier string `json:"identifier"`
		URL        string `json:"url"`
	} `json:"license"`
}

type oasServer struct {
	URL         string `json:"url"`
	Description string `json:"description"`
	Variables   map[string]struct {
		Enum        []string `json:"enum"`
		Default     string   `json:"default"`
		Description string   `json:"description"`
	} `json:"variables"`
}

type oasTag struct {
	Name         string           `json:"name"`
	Description  string           `json:"description"`
	ExternalDocs *oasExternalDocs `json:"externalDocs"`
}

type oasExternalDocs struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

type oasPathItem struct {
	Ref         string          `json:"$ref"`
	Summary     string          `json:"summary"`
	Description string          `json:"description"`
	Get         *oasOperation   `json:"get"`
	Put         *oasOperation   `json:"put"`
	Post        *oasOperation   `json:"post"`
	Delete      *oasOperation   `json:"delete"`
	Options     *oasOperation   `json:"options"`
	Head        *oasOperation   `json:"head"`
	Patch       *oasOperation   `json:"patch"`
	Trace       *oasOperation   `json:"trace"`
	Servers     []oasServer     `json:"servers"`
	Parameters  []*oasParameter `json:"parameters"`
}

func (p *oasPathItem) operations() map[string]*oasOperation {
	out := map[string]*oasOperation{}
	for m, op := range map[string]*oasOperation{"get": p.Get, "put": p.Put, "post": p.Post, "delete": p.Delete,
		"options": p.Options, "head": p.Head, "patch": p.Patch, "trace": p.Trace} {
		if op != nil {
			out[m] = op
		}
	}
	return out
}

type oasOperation struct {
	Tags         []string                           `json:"tags"`
	Summary      string                             `json:"summary"`
	Description  string                             `json:"description"`
	ExternalDocs *oasExternalDocs                   `json:"externalDocs"`
	OperationID  string                             `json:"operationId"`
	Parameters   []*oasParameter                    `json:"parameters"`
	RequestBody  *oasRequestBody                    `json:"requestBody"`
	Responses    map[string]*oasResponse            `json:"responses"`
	Callbacks    map[string]map[string]*oasPathItem `json:"callbacks"`
	Deprecated   bool                               `json:"deprecated"`
	Security     []map[string][]string              `json:"security"`
	Servers      []oasServer                        `json:"servers"`
}

type oasParameter struct {
	Ref             string                   `json:"$ref"`
	Name            string                   `json:"name"`
	In              string                   `json:"in"`
	Description     string                   `json:"description"`
	Required        bool                     `json:"required"`
	Deprecated      bool                     `json:"deprecated"`
	AllowEmptyValue bool                     `json:"allowEmptyValue"`
	Style           string                   `json:"style"`
	Explode         *bool                    `json:"explode"`
	AllowReserved   bool                     `json:"allowReserved"`
	Schema          *oasSchema               `json:"schema"`
	Example         any                      `json:"example"`
	Examples        map[string]any           `json:"examples"`
	Content         map[string]*oasMediaType `json:"content"`
}

type oasRequestBody struct {
	Ref         string                   `json:"$ref"`
	Description string                   `json:"description"`
	Content     map[string]*oasMediaType `json:"content"`
	Required    bool                     `json:"required"`
}

type oasMediaType struct {
	Schema   *oasSchema     `json:"schema"`
	Example  any            `json:"example"`
	Examples map[string]any `json:"examples"`
	Encoding map[string]any `json:"encoding"`
}

type oasResponse struct {
	Ref         string                   `json:"$ref"`
	Summary     string                   `json:"summary"` // of a Reference Object
	Description string                   `json:"description"`
	Headers     map[string]*oasHeader    `json:"headers"`
	Content     map[string]*oasMediaType `json:"content"`
	Links       map[string]any           `json:"links"`
}

type oasHeader struct {
	Ref         string                   `json:"$ref"`
	Description string                   `json:"description"`
	Required    bool                     `json:"required"`
	Deprecated  bool                     `json:"deprecated"`
	Style       string                   `json:"style"`
	Explode     *bool                    `json:"explode"`
	Schema      *oasSchema               `json:"schema"`
	Example     any                      `json:"example"`
	Examples    map[string]any           `json:"examples"`
	Content     map[string]*oasMediaType `json:"content"`
}

type oasComponents struct {
	Schemas         map[string]*oasSchema         `json:"schemas"`
	Responses       map[string]*oasResponse       `json:"responses"`
	Parameters      map[string]*oasParameter      `json:"parameters"`
	Examples        map[string]any                `json:"examples"`
	RequestBodies   map[string]*oasRequestBody    `json:"requestBodies"`
	Headers         map[string]*oasHeader         `json:"headers"`
	SecuritySchemes map[string]*oasSecurityScheme `json:"securitySchemes"`
	Links           map[string]any                `json:"links"`
	Callbacks       map[string]any                `json:"callbacks"`
	PathItems       map[string]*oasPathItem       `json:"pathItems"`
}

type oasSecurityScheme struct {
	Ref              string `json:"$ref"`
	Type             string `json:"type"`
	Description      string `json:"description"`
	Name             string `json:"name"`
	In               string `json:"in"`
	Scheme           string `json:"scheme"`
	BearerFormat     string `json:"bearerFormat"`
	Flows            any    `json:"flows"`
	OpenIDConnectURL string `json:"openIdConnectUrl"`
}

// oasSchema is a Schema Object: JSON Schema 2020-12 (core, applicator,
// unevaluated, validation, meta-data, format, content) plus the OpenAPI
// keywords. Bool is set for the boolean schemas true and false.
type oasSchema struct {
	Bool *bool `json:"-"`

	Schema        string                `json:"$schema"`
	ID            string                `json:"$id"`
	Ref           string                `json:"$ref"`
	Anchor        string                `json:"$anchor"`
	DynamicRef    string                `json:"$dynamicRef"`
	DynamicAnchor string                `json:"$dynamicAnchor"`
	Defs          map[string]*oasSchema `json:"$defs"`
	Comment       string                `json:"$comment"`
	Vocabulary    map[string]bool       `json:"$vocabulary"`

	AllOf                 []*oasSchema          `json:"allOf"`
	AnyOf                 []*oasSchema          `json:"anyOf"`
	OneOf                 []*oasSchema          `json:"oneOf"`
	Not                   *oasSchema            `json:"not"`
	If                    *oasSchema            `json:"if"`
	Then                  *oasSchema            `json:"then"`
	Else                  *oasSchema            `json:"else"`
	DependentSchemas      map[string]*oasSchema `json:"dependentSchemas"`
	PrefixItems           []*oasSchema          `json:"prefixItems"`
	Items                 *oasSchema            `json:"items"`
	Contains              *oasSchema            `json:"contains"`
	Properties            map[string]*oasSchema `json:"properties"`
	PatternProperties     map[string]*oasSchema `json:"patternProperties"`
	AdditionalProperties  *oasSchema            `json:"additionalProperties"`
	PropertyNames         *oasSchema            `json:"propertyNames"`
	UnevaluatedItems      *oasSchema            `json:"unevaluatedItems"`
	UnevaluatedProperties *oasSchema            `json:"unevaluatedProperties"`

	Type              any                 `json:"type"`
	Enum              []any               `json:"enum"`
	Const             any                 `json:"const"`
	MultipleOf        *float64            `json:"multipleOf"`
	Maximum           *float64            `json:"maximum"`
	ExclusiveMaximum  *float64            `json:"exclusiveMaximum"`
	Minimum           *float64            `json:"minimum"`
	ExclusiveMinimum  *float64            `json:"exclusiveMinimum"`
	MaxLength         *int                `json:"maxLength"`
	MinLength         *int                `json:"minLength"`
	Pattern           string              `json:"pattern"`
	MaxItems          *int                `json:"maxItems"`
	MinItems          *int                `json:"minItems"`
	UniqueItems       bool                `json:"uniqueItems"`
	MaxContains       *int                `json:"maxContains"`
	MinContains       *int                `json:"minContains"`
	MaxProperties     *int                `json:"maxProperties"`
	MinProperties     *int                `json:"minProperties"`
	Required          []string            `json:"required"`
	DependentRequired map[string][]string `json:"dependentRequired"`

	Format           string     `json:"format"`
	ContentEncoding  string     `json:"contentEncoding"`
	ContentMediaType string     `json:"contentMediaType"`
	ContentSchema    *oasSchema `json:"contentSchema"`

	Title       string `json:"title"`
	Description string `json:"description"`
	Default     any    `json:"default"`
	Deprecated  bool   `json:"deprecated"`
	ReadOnly    bool   `json:"readOnly"`
	WriteOnly   bool   `json:"writeOnly"`
	Examples    []any  `json:"examples"`

	Discriminator *struct {
		PropertyName string            `json:"propertyName"`
		Mapping      map[string]string `json:"mapping"`
	} `json:"discriminator"`
	XML          any              `json:"xml"`
	ExternalDocs *oasExternalDocs `json:"externalDocs"`
	Example      any              `json:"example"`
}

// UnmarshalJSON reads a boolean schema or a schema object, strictly:
// encoding/json does not pass DisallowUnknownFields on to a field's own
// UnmarshalJSON, so each schema starts its own strict decoder.
func (s *oasSchema) UnmarshalJSON(b []byte) error {
	if v := string(bytes.TrimSpace(b)); v == "true" || v == "false" {
		t := v == "true"
		*s = oasSchema{Bool: &t}
		return nil
	}
	type plain oasSchema // without this method
	var p plain
	if err := decodeStrict(b, &p); err != nil {
		var inner *schemaError
		if errors.As(err, &inner) {
			return inner // name the innermost schema only
		}
		return &schemaError{excerpt(b), err}
	}
	*s = oasSchema(p)
	return nil
}

// schemaError names the schema a strict decoding failed in.
type schemaError struct {
	schema string
	err    error
}

func (e *schemaError) Error() string { return "in schema " + e.schema + ": " + e.err.Error() }

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func excerpt(b []byte) string {
	if s := string(b); len(s) <= 120 {
		return s
	}
	return string(b[:120]) + "…"
}
