package rpc

import (
	"testing"

	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/auth/authztest"
)

// TestViewersReadWhatCustomerServiceReads: a viewer may call the reads
// customer service may call (the reports too), and nothing else.
func TestViewersReadWhatCustomerServiceReads(t *testing.T) {
	t.Parallel()
	reads := []string{
		ledgerv1grpc.ReportService_OpenItems_FullMethodName, ledgerv1grpc.ReportService_Aging_FullMethodName,
		ledgerv1grpc.ReportService_TrialBalance_FullMethodName, ledgerv1grpc.ReportService_DebtorBalances_FullMethodName,
		ledgerv1grpc.ReportService_DSO_FullMethodName, ledgerv1grpc.ReportService_ReproduceReport_FullMethodName,
	}
	authztest.CheckViewer(t, Policy, reads, nil)
}
