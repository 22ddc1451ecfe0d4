package geo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxFileBytes is the largest file of a dataset the loader reads (catalog.json
// or a collection's GeoJSON). A larger file is a problem naming it, so that a
// data folder cannot make the server read without limit.
const MaxFileBytes = 1 << 30

// Limits on the positions (vertices; a ring's closing position counts) the
// loader decodes, so that a data folder cannot make it decode and validate
// without limit: a feature with more than MaxFeatureVertices, or a file
// whose features have more than MaxFileVertices together, is a problem
// naming the file, the feature and the limit. Positions are counted in the
// text, before a feature's geometry is decoded; the rest of a file past its
// limit is not read.
const (
	MaxFeatureVertices = 1_000_000
	MaxFileVertices    = 10_000_000
)

// OpenFolder returns the dataset folder dir as a file system rooted there
// (os.Root): a symbolic link is followed only to a file inside the folder,
// and one that leads out of it cannot be opened. close releases it.
func OpenFolder(dir string) (fsys fs.FS, close func() error, err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("geo: open dataset folder: %w", err)
	}
	return root.FS(), root.Close, nil
}

// readDataFile reads one file of a dataset: only a regular file (not a
// folder, a FIFO, a device or a socket, which could block or never end) of
// at most MaxFileBytes. The file is checked before it is opened, so that
// opening a FIFO cannot block the loader.
func readDataFile(fsys fs.FS, name string) ([]byte, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s); only regular files are read", kindOf(info.Mode()))
	}
	if info.Size() > MaxFileBytes {
		return nil, fmt.Errorf("the file is %d bytes; the most the loader reads is %d", info.Size(), MaxFileBytes)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	// The file may grow after Stat: read one byte past the limit to tell.
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if len(b) > MaxFileBytes {
		return nil, errors.New("the file grew past the most the loader reads while it was read")
	}
	return b, nil
}

// kindOf names a file mode that is not a regular file.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.String()
}
