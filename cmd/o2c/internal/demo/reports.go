package demo

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
)

// StatementDebtor is the debtor whose account statement the demo prints.
const StatementDebtor = "K-1001"

// reportPageSize is deliberately tiny, so that even the demo's short
// reports go through the cursor paging.
const reportPageSize = 1

// maxReportPages bounds the pages a report reads.
const maxReportPages = 10_000

// Statement reads every page of the demo debtor's account statement over
// all dates: the lines of every page, the balances of the last.
func Statement(ctx context.Context, conn *grpc.ClientConn, debtor string) (*ledgerv1.GetDebtorStatementResponse, error) {
	client := ledgerv1grpc.NewLedgerQueryServiceClient(conn)
	req := &ledgerv1.GetDebtorStatementRequest{Tenant: Tenant, DebtorId: debtor, PageSize: reportPageSize}
	var lines []*ledgerv1.StatementLine
	for range maxReportPages {
		resp, err := client.GetDebtorStatement(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("statement of %s: %w", debtor, err)
		}
		lines = append(lines, resp.GetLines()...)
		if resp.GetNextPageToken() == "" {
			resp.Lines = lines
			return resp, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil, fmt.Errorf("statement of %s: more than %d pages", debtor, maxReportPages)
}

// TrialBalance reads every page of the demo tenant's trial balance over
// all dates and returns the rows and the totals of the last page.
func TrialBalance(ctx context.Context, conn *grpc.ClientConn) (rows, totals []*ledgerv1.TrialBalanceRow, _ error) {
	client := ledgerv1grpc.NewLedgerQueryServiceClient(conn)
	req := &ledgerv1.GetTrialBalanceRequest{Tenant: Tenant, PageSize: reportPageSize}
	for range maxReportPages {
		resp, err := client.GetTrialBalance(ctx, req)
		if err != nil {
			return nil, nil, fmt.Errorf("trial balance: %w", err)
		}
		rows = append(rows, resp.GetRows()...)
		if resp.GetNextPageToken() == "" {
			return rows, resp.GetTotals(), nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return nil, nil, fmt.Errorf("trial balance: more than %d pages", maxReportPages)
}
