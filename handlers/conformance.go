package handlers

import "github.com/labstack/echo/v4"

// conformanceDoc lists the conformance classes the server implements.
type conformanceDoc struct {
	ConformsTo []string `json:"conformsTo"`
}

// conformance serves /conformance.
func (s *server) conformance(c echo.Context) error {
	if err := s.metadataParams(c); err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: MediaJSON, maxAge: s.opts.CacheMaxAgePast}, func(*dataState) (built, error) {
		return jsonBuilt(conformanceDoc{ConformsTo: conformanceClasses()})
	})
}

// metadataParams checks the query of a JSON metadata endpoint: f=json and
// the ignored items parameters.
func (s *server) metadataParams(c echo.Context) error {
	p, err := strictParams(c.QueryParams(), append([]string{paramF}, ignoredParams()...), nil)
	if err != nil {
		return err
	}
	if _, err := p.format(formatJSON, formatJSON); err != nil {
		return err
	}
	return p.checkIgnored()
}
