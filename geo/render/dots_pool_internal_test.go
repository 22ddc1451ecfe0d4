package render

import (
	"image"
	"image/color"
	"testing"
)

// TestDotsRasterReuse: a pooled dots raster comes back transparent when
// every pixel drawn on it lay in its dirty box, and is not reused for a
// raster of another size.
func TestDotsRasterReuse(t *testing.T) {
	r := image.Rect(0, 0, 40, 30)
	img := image.NewRGBA(r)
	dirty := image.Rect(5, 7, 23, 19)
	for y := dirty.Min.Y; y < dirty.Max.Y; y++ {
		for x := dirty.Min.X; x < dirty.Max.X; x++ {
			img.SetRGBA(x, y, color.RGBA{200, 10, 10, 255})
		}
	}
	p := &dotsRaster{img: img, dirty: dirty}
	if p.reuse(image.Rect(0, 0, 40, 31)) != nil {
		t.Error("reused for another size")
	}
	got := p.reuse(r)
	if got != img {
		t.Fatal("not reused for the same size")
	}
	for i, v := range got.Pix {
		if v != 0 {
			t.Fatalf("byte %d is %d after reuse, want a transparent raster", i, v)
		}
	}
}
