package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiDocStyle is the page's only style sheet, allowed by its hash in
// apiDocCSP. The page has no script.
const apiDocStyle = `
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;line-height:1.45}
code{background:#f3f3f3;padding:0 .2em}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
h2{margin-top:2rem;font-size:1.1rem}
`

// apiDocCSP is the policy of /api.html: its inline style sheet and nothing
// else loads or runs, and no page may frame it.
var apiDocCSP = "default-src 'none'; style-src '" + cspHash(apiDocStyle) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// cspHash returns the CSP hash source of an inline script or style.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// apiDocPage renders the OpenAPI document for people. html/template escapes
// every value, including collection titles from the data.
var apiDocPage = template.Must(template.New("api").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} API</title>
<style>` + apiDocStyle + `</style>
</head>
<body>
<h1>{{.Title}} API</h1>
<p>{{.Description}}</p>
<p>Machine-readable definition: <a href="{{.APIURL}}">{{.APIURL}}</a> (OpenAPI 3.0).
Use <code>{{.Base}}</code> as an "OGC API - Features" connection in QGIS, or <code>ogrinfo OAPIF:{{.Base}}</code>.</p>
{{range .Ops}}
<h2 id="{{.ID}}"><code>GET {{.Path}}</code> — {{.Summary}}</h2>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Params}}<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} (required){{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{end}}
</body>
</html>
`))

type apiDocOp struct {
	ID, Path, Summary, Description string
	Params                         []apiDocParam
}

type apiDocParam struct {
	Name, In, Type, Description string
	Required                    bool
}

// apiDoc serves /api.html, the service-doc.
func (s *server) apiDoc(c echo.Context) error {
	if _, err := strictParams(c.QueryParams(), nil, nil); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", apiDocCSP)
	h.Set("X-Frame-Options", "DENY")
	return s.respond(c, resource{mediaType: mediaHTMLCharset, maxAge: s.opts.CacheMaxAge}, func(*dataState) (built, error) {
		doc, err := s.buildOpenAPI(c)
		if err != nil {
			return built{}, err
		}
		data := struct {
			Title, Description, APIURL, Base string
			Ops                              []apiDocOp
		}{Title: doc.Info.Title, Description: doc.Info.Description, APIURL: s.href(c, "/api", nil), Base: s.baseURL(c)}
		for _, path := range sortedKeys(doc.Paths) {
			op := doc.Paths[path].Get
			if op == nil {
				continue
			}
			o := apiDocOp{ID: op.OperationID, Path: path, Summary: op.Summary, Description: op.Description}
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				}
				typ := ""
				if p.Schema != nil {
					typ = p.Schema.Type
					if len(p.Schema.Enum) > 0 {
						typ += ": " + strings.Join(p.Schema.Enum, " | ")
					}
				}
				o.Params = append(o.Params, apiDocParam{Name: p.Name, In: p.In, Type: typ, Description: p.Description, Required: p.Required})
			}
			data.Ops = append(data.Ops, o)
		}
		var buf bytes.Buffer
		if err := apiDocPage.Execute(&buf, data); err != nil {
			return built{}, err
		}
		return built{body: buf.Bytes()}, nil
	})
}
