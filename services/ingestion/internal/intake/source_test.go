package intake

import "testing"

func TestStatementAccount(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"de89 3704 0044 0532 0130 00", "DE89370400440532013000"},
		// BLZ 37040044, account 532013000: the IBAN of the ECBS example.
		{"37040044/532013000", "DE89370400440532013000"},
		{"37040044/0532013000", "DE89370400440532013000"},
		{"50880050/0194787400888", "50880050/0194787400888"}, // 13 digits: not a German account number
		{"TRIODOSBANK/0390123456", "TRIODOSBANK/0390123456"},
		{"123456789", "123456789"},
	}
	for _, tt := range tests {
		if got := StatementAccount(tt.in); got != tt.want {
			t.Errorf("StatementAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
