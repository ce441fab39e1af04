package table

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
)

// RefundKindWord is a refund kind as the CLI prints it: "refund",
// "guarantee_claim", "chargeback", "reversal".
func RefundKindWord(k refundv1.RefundKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "REFUND_KIND_"))
}

// RefundStateWord is a refund state as the CLI prints it: "booked",
// "linked", "held", "waiting", "reversed", "duplicate".
func RefundStateWord(s refundv1.RefundState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "REFUND_STATE_"))
}

// RefundSourceWord is where a refund was seen first: "api" or
// "settlement".
func RefundSourceWord(s refundv1.RefundSource) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "REFUND_SOURCE_"))
}

// Refunds writes the refunds imported as `o2c refunds list` prints them:
// one row per refund in the order given with its adjustment id, order,
// kind, amount (what the buyer got back, fees excluded), when the
// marketplace posted it, where it was seen first, what became of it and
// why, and the credit note it booked or was linked to; below them a line
// for each booked refund whose order a shop credit note credited again
// (Refund.credited_again_by); then how many there are.
func Refunds(w io.Writer, rs []*refundv1.Refund) {
	if len(rs) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ADJUSTMENT\tORDER\tKIND\t      AMOUNT\tCUR\tPOSTED\tSOURCE\tSTATE\tREASON\tCREDIT NOTE")
		for _, r := range rs {
			a := r.GetAmount()
			posted := "-"
			if r.GetPosted() != nil {
				posted = instant(r.GetPosted().AsTime())
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%12s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.GetAdjustmentId(), cmp.Or(r.GetOrderId(), "-"), RefundKindWord(r.GetKind()),
				Money(a.GetMinorUnits(), a.GetCurrency()), a.GetCurrency(), posted, RefundSourceWord(r.GetSource()), RefundStateWord(r.GetState()),
				cmp.Or(clip(oneLine(r.GetReason()), 60), "-"), cmp.Or(r.GetCreditNoteNumber(), "-"))
		}
		tw.Flush()
	}
	for _, r := range rs {
		if by := r.GetCreditedAgainBy(); len(by) > 0 {
			fmt.Fprintf(w, "credited twice? order %s: the shop's %s credited it after refund %s was booked as %s\n",
				cmp.Or(r.GetOrderId(), "-"), strings.Join(by, ", "), r.GetAdjustmentId(), cmp.Or(r.GetCreditNoteNumber(), "-"))
		}
	}
	fmt.Fprintln(w, Count(len(rs), "refund"))
}

// SettlementFetches writes the settlement reports refund import fetched
// through the Reports API, newest first: the seller account, the report
// id, the period it covers, when it was fetched and what ingestion
// answered; then how many there are.
func SettlementFetches(w io.Writer, fs []*refundv1.SettlementReportFetched) {
	if len(fs) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SELLER\tREPORT\tFROM\tTO\tFETCHED\tSTATUS\tIMPORT\tERROR")
		for _, f := range fs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.GetSellerAccount(), f.GetReportId(),
				instant(f.GetDataStart().AsTime()), instant(f.GetDataEnd().AsTime()), instant(f.GetFetchedAt().AsTime()),
				cmp.Or(f.GetStatus(), "-"), cmp.Or(f.GetImportId(), "-"), cmp.Or(clip(oneLine(f.GetError()), 60), "-"))
		}
		tw.Flush()
	}
	fmt.Fprintln(w, Count(len(fs), "settlement report"))
}
