// Package docs holds odn's documentation (user.md, admin.md, API.md) and
// the OpenAPI description of /api/v1, which it embeds so the server can
// publish it at /api/v1/openapi.yaml and tests can check it against the
// router. It imports nothing from odn.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml, the contract of /api/v1 (OpenAPI 3.1).
//
//go:embed openapi.yaml
var OpenAPI []byte
