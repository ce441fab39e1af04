package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/services/refund-import/internal/job"
)

// chunk is the size of the pieces a settlement report is sent in.
const chunk = 1 << 20

// Ingestion hands settlement reports to ingestion's ImportService as
// refund import (its service credentials). Every failure to ask is
// transient: the report is fetched and handed over again on the next run.
type Ingestion struct {
	Imports ingestionv1grpc.ImportServiceClient
}

// Import sends one settlement report (format amazon-settlement) and
// returns ingestion's answer.
func (c Ingestion) Import(ctx context.Context, tenant, fileName string, data []byte) (job.Imported, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.Imports.Import(ctx)
	if err != nil {
		return job.Imported{}, ask(err)
	}
	if err := st.Send(&ingestionv1.ImportRequest{Tenant: tenant, Part: &ingestionv1.ImportRequest_Header{Header: &ingestionv1.ImportHeader{
		Tenant: tenant, FileName: fileName, Size: int64(len(data)), Format: "amazon-settlement"}}}); err != nil {
		return job.Imported{}, ask(err)
	}
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		if err := st.Send(&ingestionv1.ImportRequest{Tenant: tenant, Part: &ingestionv1.ImportRequest_Chunk{Chunk: &ingestionv1.ImportChunk{Data: data[off:end]}}}); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server answered early; its answer says why
			}
			return job.Imported{}, ask(err)
		}
	}
	if err := st.CloseSend(); err != nil {
		return job.Imported{}, ask(err)
	}
	for {
		res, err := st.Recv()
		if err != nil {
			return job.Imported{}, ask(err)
		}
		if res.GetProgress() != nil {
			continue
		}
		return job.Imported{ImportID: res.GetImportId(), SHA256: res.GetFileSha256(), Error: res.GetError(),
			Status: strings.TrimPrefix(res.GetStatus().String(), "IMPORT_STATUS_")}, nil
	}
}

func ask(err error) error {
	return fault.Mark(fmt.Errorf("hand settlement report to ingestion: %w", err), fault.Transient)
}
