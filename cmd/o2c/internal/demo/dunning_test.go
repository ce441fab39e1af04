package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/host/hosttest"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// TestDunningStory runs the demo's dunning story against every service:
// the late consumer gets the three levels of the default procedure, the
// second and third with the 2.50 EUR material costs and default interest,
// and is released to collections on the fourth day; the consumer who
// disputes gets the first reminder only, her item skipped as disputed
// while the block holds; running the last day again sends nothing; the
// notice's PDF lies in the outbox; the ledger books every charge, and its
// open-item list on the last day shows the dunning levels, the dispute
// block and the collection status dunning's and collections' events fed
// it.
func TestDunningStory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts every service with PostgreSQL and NATS")
	}
	ctx := context.Background()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})
	outbox := t.TempDir()
	sys, err := Start(ctx, Options{DatabaseURL: dbURL, Outbox: outbox})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	var out bytes.Buffer
	res, err := Dunning(ctx, &out, sys, js)
	if err != nil {
		t.Fatalf("%v\noutput so far:\n%s", err, out.String())
	}

	type step struct {
		Debtor          string
		Level           int32
		Fees            int64
		Interest        bool
		Released        int
		NoticeForLevels bool
	}
	var got []step
	for _, r := range res.Runs {
		for _, d := range r.Decisions {
			s := step{Debtor: d.GetDebtorId(), Level: d.GetLevel(), Released: len(d.GetReleased())}
			if n := d.GetNotice(); n != nil {
				s.NoticeForLevels = n.GetLevel() == d.GetLevel()
				for _, f := range n.GetFees() {
					s.Fees += f.GetAmount().GetMinorUnits()
				}
				for _, p := range n.GetInterest() {
					s.Interest = s.Interest || p.GetAmount().GetMinorUnits() > 0
				}
			}
			got = append(got, s)
		}
	}
	want := []step{
		{Debtor: LateDebtor, Level: 1, NoticeForLevels: true},
		{Debtor: DisputingDebtor, Level: 1, NoticeForLevels: true},
		{Debtor: LateDebtor, Level: 2, Fees: 250, Interest: true, NoticeForLevels: true},
		{Debtor: LateDebtor, Level: 3, Fees: 250, Interest: true, NoticeForLevels: true},
		{Debtor: LateDebtor, Released: 1},
	}
	// The release may come with a final notice; that it releases is what
	// counts.
	for i := range got {
		if got[i].Released > 0 {
			got[i] = step{Debtor: got[i].Debtor, Released: 1}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions that did something (-want +got):\n%s\noutput:\n%s", diff, out.String())
	}

	// The fee and the interest of levels 2 and 3, each booked by the
	// ledger as an item of its own.
	if res.Booked != 4 || res.Refused != 0 {
		t.Errorf("the ledger booked %d charges and refused %d; want 4 booked", res.Booked, res.Refused)
	}

	if a := res.Again; a.GetNotices() != 0 || a.GetCharges() != 0 || a.GetReleases() != 0 || a.GetAlreadyDecided() == 0 {
		t.Errorf("the same day again: %v; want nothing sent and every debtor already decided", a)
	}

	if res.Block.GetReason() != "dispute" || res.Block.GetSource() != DisputeTicket {
		t.Errorf("block = %v", res.Block)
	}
	skipped := false
	for _, s := range res.Disputed.GetLastDecision().GetSkipped() {
		skipped = skipped || strings.HasPrefix(s.GetReason(), "blocked:dispute")
	}
	if !skipped || len(res.Disputed.GetBlocks()) != 1 {
		t.Errorf("%s on the last day: skipped %v, blocks %v; want the item skipped as disputed under one block",
			DisputingDebtor, res.Disputed.GetLastDecision().GetSkipped(), res.Disputed.GetBlocks())
	}

	pdf, err := os.ReadFile(res.PDF)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !strings.HasPrefix(res.PDF, outbox) {
		t.Errorf("%s is no PDF in the outbox %s", res.PDF, outbox)
	}
	if !strings.Contains(out.String(), res.PDF) || !strings.Contains(res.Final.GetText(), LateInvoice) {
		t.Errorf("the story does not say where the PDF is, or the notice does not name %s:\n%s", LateInvoice, out.String())
	}

	// The ledger's open-item list on the last day shows what dunning and
	// collections published: the late invoice at the level of the last
	// decision that listed it and handed to collections, the disputed one
	// blocked.
	last := res.Runs[len(res.Runs)-1].Date
	wantLevel := ""
	for _, r := range res.Runs {
		for _, d := range r.Decisions {
			for _, it := range d.GetItems() {
				if it.GetDocumentNumber() == LateInvoice {
					wantLevel = fmt.Sprint(it.GetLevelAfter())
				}
			}
		}
	}
	reports := ledgerv1grpc.NewReportServiceClient(sys.Conn(ledger.Name))
	var rows map[string]*ledgerv1.OpenItemRow
	hosttest.Eventually(t, "the ledger's open-item list with dunning's and collections' columns", func() bool {
		rows = map[string]*ledgerv1.OpenItemRow{}
		for _, debtor := range []string{LateDebtor, DisputingDebtor} {
			st, err := reports.OpenItems(ctx, &ledgerv1.OpenItemsRequest{Tenant: Tenant, AsOf: last, DebtorId: debtor})
			if err != nil {
				t.Fatal(err)
			}
			for {
				resp, err := st.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range resp.GetRows() {
					rows[r.GetDocumentNumber()] = r
				}
			}
		}
		late, disputed := rows[LateInvoice], rows[DisputedInvoice]
		return late.GetDunningLevel() == wantLevel && late.GetCollectionStatus() != "" && disputed.GetDunningBlock() == "dispute"
	})
	if wantLevel == "" || rows[DisputedInvoice].GetDunningLevel() != "1" {
		t.Errorf("dunning levels: %s %q, %s %q; want the late one's last decision's and 1", LateInvoice, wantLevel,
			DisputedInvoice, rows[DisputedInvoice].GetDunningLevel())
	}
}
