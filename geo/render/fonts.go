package render

import (
	_ "embed"
	"fmt"
	"image/color"

	"github.com/tdewolff/canvas"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// FontLicense is the licence of the Go fonts the pictures are drawn with,
// carried in the binary with them.
//
//go:embed FONT-LICENSE
var FontLicense string

// fontFamily is the family name the fonts are registered under; an SVG
// names it, then a generic family for viewers without it.
const fontFamily = "Go"

// fonts is one copy of the fonts: go-text's shaper caches glyph extents and
// is not safe for concurrent use, so every picture drawn at the same time
// has its own.
type fonts struct {
	family *canvas.FontFamily
}

func loadFonts() (*fonts, error) {
	fam := canvas.NewFontFamily(fontFamily)
	if err := fam.LoadFont(goregular.TTF, 0, canvas.FontRegular); err != nil {
		return nil, fmt.Errorf("render: load Go Regular: %w", err)
	}
	if err := fam.LoadFont(gobold.TTF, 0, canvas.FontBold); err != nil {
		return nil, fmt.Errorf("render: load Go Bold: %w", err)
	}
	return &fonts{family: fam}, nil
}

// face returns the face of px pixels (the canvas unit is the CSS pixel).
func (f *fonts) face(px float64, c color.Color, bold bool) *canvas.FontFace {
	style := canvas.FontRegular
	if bold {
		style = canvas.FontBold
	}
	return f.family.Face(px*72/25.4, c, style, canvas.FontNormal)
}

// covers reports whether face has a glyph for every character of s that
// is not a space: text it does not cover (Arabic) is not drawn.
func covers(face *canvas.FontFace, s string) bool {
	for _, r := range s {
		if r == ' ' || r == '\u00a0' {
			continue
		}
		if face.Font.GlyphIndex(r) == 0 {
			return false
		}
	}
	return true
}
