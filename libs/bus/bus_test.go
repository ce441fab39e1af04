package bus

import (
	"errors"
	"testing"
	"time"
)

func TestEventName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"o2c.ingestion.v1.InvoiceIngested": "invoice.ingested",
		"o2c.ledger.v1.OpenItemOpened":     "open-item.opened",
		"o2c.ledger.v1.JournalEntryPosted": "journal-entry.posted",
		"Posted":                           "posted",
	} {
		if got := EventName(in); got != want {
			t.Errorf("EventName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTenantFromSubject(t *testing.T) {
	t.Parallel()
	for subj, want := range map[string]string{
		"shop.acme.invoice.issued":              "acme",
		"o2c.acme-2.ingestion.invoice.ingested": "acme-2",
		"other.acme.x":                          "",
		"shop..x":                               "",
		"shop.acme":                             "",
	} {
		got, ok := TenantFromSubject(subj)
		if got != want || ok != (want != "") {
			t.Errorf("TenantFromSubject(%q) = %q, %v; want %q", subj, got, ok, want)
		}
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("bad")
	if !IsPermanent(Permanent(base)) || !errors.Is(Permanent(base), base) {
		t.Error("Permanent does not mark or wrap")
	}
	if IsPermanent(base) || Permanent(nil) != nil {
		t.Error("plain error counted as permanent, or Permanent(nil) not nil")
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	t.Parallel()
	prev := time.Duration(0)
	for n := uint64(1); n < 30; n++ {
		d := backoff(n)
		if d < prev || d > time.Minute {
			t.Fatalf("backoff(%d) = %v after %v", n, d, prev)
		}
		prev = d
	}
}
