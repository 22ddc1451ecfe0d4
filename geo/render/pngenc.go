package render

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"sync"
)

// writePNG writes img as a PNG. An opaque image (every picture: its
// background is) is written as 8-bit RGB with the Up filter on every row,
// its rows compressed in up to parts bands side by side: one deflate
// stream, each band but the last ending on a sync flush, so any decoder
// reads it as usual. image/png tries the five filters on every row and
// keeps the best, and compresses on one core: 46 ms for the scale
// dataset's picture at 1200×675 against 24 ms here on one band and 16 ms
// on two, for 2.7% more bytes. Anything else goes to image/png.
func writePNG(w io.Writer, img *image.RGBA, parts int) error {
	wd, ht := img.Rect.Dx(), img.Rect.Dy()
	if !img.Opaque() || wd == 0 || ht == 0 {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	}
	// The filtered rows: a filter byte (2, Up), then each byte less the
	// one above it (the row above the first is zeros).
	rowLen := 1 + 3*wd
	raw := make([]byte, rowLen*ht)
	prev := make([]byte, 3*wd)
	cur := make([]byte, 3*wd)
	for y := range ht {
		src := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):][:4*wd]
		for x := range wd {
			cur[3*x], cur[3*x+1], cur[3*x+2] = src[4*x], src[4*x+1], src[4*x+2]
		}
		out := raw[y*rowLen : (y+1)*rowLen]
		out[0] = 2
		for i, c := range cur {
			out[1+i] = c - prev[i]
		}
		prev, cur = cur, prev
	}

	parts = max(1, min(parts, ht/minBandRows))
	bands := make([]bytes.Buffer, parts)
	errs := make([]error, parts)
	per := (ht + parts - 1) / parts
	var wg sync.WaitGroup
	for i := range parts {
		lo, hi := min(i*per, ht)*rowLen, min((i+1)*per, ht)*rowLen
		wg.Go(func() {
			fw, err := flate.NewWriter(&bands[i], flate.BestSpeed)
			if err == nil {
				_, err = fw.Write(raw[lo:hi])
			}
			if err == nil && i == parts-1 {
				err = fw.Close() // the final block
			} else if err == nil {
				err = fw.Flush() // ends on a byte boundary, not final
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	idat := make([]byte, 0, 6+parts*bands[0].Len())
	idat = append(idat, 0x78, 0x01) // zlib: deflate, 32 kB window, fastest
	for i := range bands {
		idat = append(idat, bands[i].Bytes()...)
	}
	idat = binary.BigEndian.AppendUint32(idat, adler32.Checksum(raw))

	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(wd))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(ht))
	ihdr[8], ihdr[9] = 8, 2 // 8 bits, RGB; compression, filter, interlace 0
	if _, err := io.WriteString(w, "\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	for _, c := range []struct {
		typ  string
		data []byte
	}{{"IHDR", ihdr[:]}, {"IDAT", idat}, {"IEND", nil}} {
		if err := writeChunk(w, c.typ, c.data); err != nil {
			return err
		}
	}
	return nil
}

// minBandRows is the fewest rows writePNG compresses as a band.
const minBandRows = 64

// writeChunk writes one PNG chunk: length, type, data, CRC of type and data.
func writeChunk(w io.Writer, typ string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	crc := crc32.Update(crc32.ChecksumIEEE(head[4:]), crc32.IEEETable, data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc)
	for _, b := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
