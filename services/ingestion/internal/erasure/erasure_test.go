package erasure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
)

// day parses a calendar date of a test table.
func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestErrorsClassifyEverySentinel(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", Errors)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		now   string
		facts Facts
		want  error
	}{
		{"no invoices, no open items", "2026-12-06", Facts{}, nil},
		{"open items refuse", "2040-01-01", Facts{OpenItems: 2, LastInvoice: day("2020-03-01")},
			&OpenItemsError{Count: 2}},
		{"open items before retention", "2026-12-06", Facts{OpenItems: 1, LastInvoice: day("2026-03-01")},
			&OpenItemsError{Count: 1}},
		{"within retention", "2026-12-06", Facts{LastInvoice: day("2016-02-10")},
			&RetentionError{LastInvoice: day("2016-02-10"), Ends: day("2026-12-31")}},
		{"last day of retention", "2026-12-31", Facts{LastInvoice: day("2016-12-31")},
			&RetentionError{LastInvoice: day("2016-12-31"), Ends: day("2026-12-31")}},
		{"day after retention", "2027-01-01", Facts{LastInvoice: day("2016-12-31")}, nil},
		{"long after retention", "2030-06-01", Facts{LastInvoice: day("2015-01-01")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Check(day(tt.now), tt.facts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(%s) (-want +got):\n%s", tt.now, diff)
			}
		})
	}
}

func TestErrorsMatchTheirSentinelAndSayWhy(t *testing.T) {
	t.Parallel()
	open := Check(day("2026-12-06"), Facts{OpenItems: 3})
	if !errors.Is(open, ErrOpenItems) || !strings.Contains(open.Error(), "3 open item") {
		t.Errorf("open items: %v, want ErrOpenItems saying 3 open items", open)
	}
	ret := Check(day("2026-12-06"), Facts{LastInvoice: day("2024-05-01")})
	if !errors.Is(ret, ErrRetention) || !strings.Contains(ret.Error(), "2034-12-31") {
		t.Errorf("retention: %v, want ErrRetention naming 2034-12-31", ret)
	}
}
