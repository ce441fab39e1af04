package parse

import (
	"io"

	"golang.org/x/text/transform"

	"github.com/o2c-platform/o2c/libs/formats/detect"
)

// decoded returns r for a format that reads r's encoding itself, and
// otherwise r decoded from enc (see detect.UTF16) to UTF-8.
func decoded(r io.Reader, enc string, ff format) io.Reader {
	if enc == "" || ff.readsUTF16 {
		return r
	}
	return transform.NewReader(r, detect.UTF16Decoder(enc))
}
