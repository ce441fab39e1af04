package dropdir

import "errors"

// ErrNoFolder means the drop folder (INGESTION_DROP_DIR) does not exist or
// is not a directory: ingestion does not start, since files delivered
// there would never be imported.
var ErrNoFolder = errors.New("drop folder not found")
