package dropdir

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the drop folder's classification of its sentinel errors. They
// stop the service at start; none reaches a caller over gRPC.
var Errors = fault.Table{
	{Err: ErrNoFolder, Class: fault.Precondition},
}
