package settlement

import (
	"strings"
	"testing"
	"time"
)

func TestParseStamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		wantDate string
		wantAt   string // RFC 3339 UTC
		wantErr  string
	}{
		{in: "2025-08-14T22:07:18+00:00", wantDate: "2025-08-14", wantAt: "2025-08-14T22:07:18Z"},
		{in: "2023-03-14T07:49:55+01:00", wantDate: "2023-03-14", wantAt: "2023-03-14T06:49:55Z"},
		// The date as written is kept even when UTC is already the next day.
		{in: "2023-03-30T23:30:00-05:00", wantDate: "2023-03-30", wantAt: "2023-03-31T04:30:00Z"},
		{in: "2023-03-14T07:49:55Z", wantDate: "2023-03-14", wantAt: "2023-03-14T07:49:55Z"},
		{in: "2023-03-14T07:49:55.123+0100", wantDate: "2023-03-14", wantAt: "2023-03-14T06:49:55Z"},
		{in: "2023-03-14 07:49:55 UTC", wantDate: "2023-03-14", wantAt: "2023-03-14T07:49:55Z"},
		{in: "14.03.2023 07:49:55 UTC", wantDate: "2023-03-14", wantAt: "2023-03-14T07:49:55Z"},
		{in: "14.03.2023", wantDate: "2023-03-14", wantAt: "2023-03-14T00:00:00Z"},
		{in: "03/14/23", wantDate: "2023-03-14", wantAt: "2023-03-14T00:00:00Z"},
		{in: "3/4/2023", wantDate: "2023-03-04", wantAt: "2023-03-04T00:00:00Z"},
		{in: "2023-03-14", wantDate: "2023-03-14", wantAt: "2023-03-14T00:00:00Z"},
		{in: " 2024-02-29 ", wantDate: "2024-02-29", wantAt: "2024-02-29T00:00:00Z"},
		{in: "2023-03-14 07:49", wantDate: "2023-03-14", wantAt: "2023-03-14T07:49:00Z"},
		{in: "2023-02-29", wantErr: "does not exist"},
		{in: "31.11.2023", wantErr: "does not exist"},
		{in: "14/03/23", wantErr: "does not exist"},
		{in: "2023-03-14 25:00:00 UTC", wantErr: "does not exist"},
		{in: "2023-03-14 07:49:55 PST", wantErr: "unknown time zone"},
		{in: "2023-03-14X", wantErr: "none of the forms"},
		{in: "20230314", wantErr: "none of the forms"},
		{in: "", wantErr: "none of the forms"},
		{in: "14.03.23", wantErr: "none of the forms"},
	}
	for _, tt := range tests {
		got, err := parseStamp(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseStamp(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseStamp(%q): %v", tt.in, err)
			continue
		}
		if got.date != tt.wantDate || got.at.Format(time.RFC3339) != tt.wantAt {
			t.Errorf("parseStamp(%q) = %s %s, want %s %s", tt.in, got.date, got.at.Format(time.RFC3339), tt.wantDate, tt.wantAt)
		}
	}
}
