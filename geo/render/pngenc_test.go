package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestWritePNG: what writePNG writes decodes with image/png to the very
// pixels drawn, whatever the number of bands (more than the rows allow
// included) and the size (one row, rows not divisible by the bands, a
// sub-image); a translucent image too (image/png writes it).
func TestWritePNG(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	picture := func(w, h int, alpha bool) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				// Smooth areas and noise, as a map has.
				c := color.RGBA{uint8(x / 7), uint8(y / 5), uint8(r.IntN(4) * 60), 255}
				if alpha && x%3 == 0 {
					c = color.RGBA{c.R / 2, c.G / 2, c.B / 2, 128}
				}
				img.SetRGBA(x, y, c)
			}
		}
		return img
	}
	big := picture(300, 200, false)
	for _, c := range []struct {
		name  string
		img   *image.RGBA
		parts int
	}{
		{"one band", picture(300, 200, false), 1},
		{"two bands", picture(300, 201, false), 2},
		{"three bands, uneven", picture(97, 193, false), 3},
		{"more bands than rows allow", picture(50, 70, false), 8},
		{"one row", picture(40, 1, false), 4},
		{"a sub-image", big.SubImage(image.Rect(13, 17, 250, 190)).(*image.RGBA), 2},
		{"translucent", picture(60, 130, true), 2},
	} {
		var b bytes.Buffer
		if err := writePNG(&b, c.img, c.parts); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := png.Decode(&b)
		if err != nil {
			t.Fatalf("%s: image/png cannot read it: %v", c.name, err)
		}
		if got.Bounds().Dx() != c.img.Rect.Dx() || got.Bounds().Dy() != c.img.Rect.Dy() {
			t.Fatalf("%s: %v, want the size of %v", c.name, got.Bounds(), c.img.Rect)
		}
		o := got.Bounds().Min
		for y := c.img.Rect.Min.Y; y < c.img.Rect.Max.Y; y++ {
			for x := c.img.Rect.Min.X; x < c.img.Rect.Max.X; x++ {
				want := color.NRGBAModel.Convert(c.img.At(x, y))
				if g := color.NRGBAModel.Convert(got.At(o.X+x-c.img.Rect.Min.X, o.Y+y-c.img.Rect.Min.Y)); g != want {
					t.Fatalf("%s: pixel %d,%d is %v, want %v", c.name, x, y, g, want)
				}
			}
		}
	}
}

// TestWritePNGReuse: pictures of several sizes written one after another
// come out as their pixels, and written again come out the same bytes: the pooled rows and
// deflate writers carry nothing from one picture to the next (a large one
// before a small one, and the other way round), also when written from
// several goroutines at once.
func TestWritePNGReuse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var imgs []*image.RGBA
	for _, sz := range [][2]int{{400, 300}, {40, 1}, {97, 193}, {400, 300}, {1, 64}} {
		img := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
		for y := range sz[1] {
			for x := range sz[0] {
				img.SetRGBA(x, y, color.RGBA{uint8(x / 3), uint8(y / 2), uint8(r.IntN(5) * 50), 255})
			}
		}
		imgs = append(imgs, img)
	}
	write := func(img *image.RGBA) []byte {
		var b bytes.Buffer
		if err := writePNG(&b, img, 3); err != nil {
			t.Error(err)
		}
		return b.Bytes()
	}
	first := make([][]byte, len(imgs))
	for i, img := range imgs {
		first[i] = write(img)
		// The first writes go through the pools too: each is decoded and
		// held to its picture pixel for pixel.
		got, err := png.Decode(bytes.NewReader(first[i]))
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		if got.Bounds() != img.Bounds() {
			t.Fatalf("picture %d: bounds %v, want %v", i, got.Bounds(), img.Bounds())
		}
		for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
			for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
				if g, want := color.NRGBAModel.Convert(got.At(x, y)), color.NRGBAModel.Convert(img.At(x, y)); g != want {
					t.Fatalf("picture %d: pixel %d,%d is %v, want %v", i, x, y, g, want)
				}
			}
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := len(imgs) - 1; i >= 0; i-- {
				if got := write(imgs[i]); !bytes.Equal(got, first[i]) {
					t.Errorf("picture %d written again: %d bytes differ from the first %d", i, len(got), len(first[i]))
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkWritePNG compares writePNG with image/png's BestSpeed on a
// 1200×675 picture of smooth areas and noise.
func BenchmarkWritePNG(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 1200, 675))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range 675 {
		for x := range 1200 {
			img.SetRGBA(x, y, color.RGBA{uint8(x / 9), uint8(y / 4), uint8(r.IntN(3) * 40), 255})
		}
	}
	var buf bytes.Buffer
	for _, c := range []struct {
		name  string
		write func() error
	}{
		{"image-png", func() error { return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img) }},
		{"bands-1", func() error { return writePNG(&buf, img, 1) }},
		{"bands-2", func() error { return writePNG(&buf, img, 2) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				buf.Reset()
				if err := c.write(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
	}
}
