package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// matchArgs are the flags of an o2c match over testdata/match.
func matchArgs(payments string, extra ...string) []string {
	dir := filepath.Join("testdata", "match")
	return append([]string{"match", "--open-items", filepath.Join(dir, "items.jsonl"), "--payments", filepath.Join(dir, payments),
		"--debtors", filepath.Join(dir, "debtors.jsonl"), "--history", filepath.Join(dir, "history.jsonl")}, extra...)
}

type matchLine struct {
	Payment      string  `json:"payment"`
	Decision     string  `json:"decision"`
	Score        *int    `json:"score"`
	Debtor       *string `json:"debtor"`
	Allocations  []alloc `json:"allocations"`
	Difference   *diff   `json:"difference"`
	Reverses     *string `json:"reverses"`
	Alternatives []struct {
		Score       int     `json:"score"`
		Allocations []alloc `json:"allocations"`
		Difference  *diff   `json:"difference"`
	} `json:"alternatives"`
	Explanation string `json:"explanation"`
}

type alloc struct {
	OpenItem    string `json:"open_item"`
	AmountMinor int64  `json:"amount_minor"`
}

type diff struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
}

// decisionsOf parses the decision lines o2c match wrote and checks that
// each has every field of the contract.
func decisionsOf(t *testing.T, stdout string) []matchLine {
	t.Helper()
	var out []matchLine
	for i, line := range strings.Split(strings.TrimRight(stdout, "\n"), "\n") {
		var l matchLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("decision line %d is not JSON: %v\n%s", i+1, err, line)
		}
		if l.Score == nil || l.Allocations == nil || l.Alternatives == nil || l.Explanation == "" || strings.Contains(l.Explanation, "\n") {
			t.Errorf("decision line %d misses a field of the contract: %s", i+1, line)
		}
		out = append(out, l)
	}
	return out
}

// TestMatchEndToEnd: o2c match decides every payment, in input order, and
// every decision keeps the contract's arithmetic and open-amount rules:
// allocations plus difference equal the payment, every allocation fits
// what is open when it is made, and only automatic decisions consume.
func TestMatchEndToEnd(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, matchArgs("payments.jsonl")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := decisionsOf(t, stdout)

	type itemLine struct {
		ID   string `json:"id"`
		Open int64  `json:"open_minor"`
	}
	open := map[string]int64{}
	orig := map[string]int64{}
	readObjects(t, filepath.Join("testdata", "match", "items.jsonl"), func(b []byte) {
		var it itemLine
		if err := json.Unmarshal(b, &it); err != nil {
			t.Fatal(err)
		}
		open[it.ID], orig[it.ID] = it.Open, it.Open
	})
	type paymentLine struct {
		ID     string `json:"id"`
		Amount int64  `json:"amount_minor"`
	}
	var payments []paymentLine
	readObjects(t, filepath.Join("testdata", "match", "payments.jsonl"), func(b []byte) {
		var p paymentLine
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		payments = append(payments, p)
	})
	if len(lines) != len(payments) {
		t.Fatalf("%d decision lines for %d payments", len(lines), len(payments))
	}
	for i, l := range lines {
		p := payments[i]
		if l.Payment != p.ID {
			t.Fatalf("line %d decides %s, want %s (input order)", i+1, l.Payment, p.ID)
		}
		check := func(what string, allocs []alloc, d *diff) {
			if len(allocs) == 0 {
				return
			}
			var sum int64
			for _, a := range allocs {
				sum += a.AmountMinor
				after := open[a.OpenItem] - a.AmountMinor
				if o := orig[a.OpenItem]; (o >= 0 && (after < 0 || after > o)) || (o < 0 && (after > 0 || after < o)) {
					t.Errorf("%s %s: %d on %s leaves %d open of %d", p.ID, what, a.AmountMinor, a.OpenItem, after, o)
				}
			}
			if d != nil {
				sum += d.AmountMinor
			}
			if sum != p.Amount {
				t.Errorf("%s %s: allocations and difference make %d, the payment is %d", p.ID, what, sum, p.Amount)
			}
		}
		check("decision", l.Allocations, l.Difference)
		for _, a := range l.Alternatives {
			check("alternative", a.Allocations, a.Difference)
		}
		if l.Decision == "auto" {
			for _, a := range l.Allocations {
				open[a.OpenItem] -= a.AmountMinor
			}
		}
		if l.Decision == "unmatched" && len(l.Allocations) > 0 {
			t.Errorf("%s: unmatched with allocations", p.ID)
		}
	}
	// What the hand-made file expects of each payment.
	want := map[string]string{"P1": "auto", "P2": "auto", "P3": "auto", "P4": "auto", "P5": "auto", "P6": "auto", "P7": "unmatched", "P8": "auto"}
	for _, l := range lines {
		if l.Decision != want[l.Payment] {
			t.Errorf("%s: %s, want %s (%s)", l.Payment, l.Decision, want[l.Payment], l.Explanation)
		}
	}
	if r := lines[5]; r.Reverses == nil || *r.Reverses != "P1" || r.Difference == nil || r.Difference.Kind != "bank_fee" {
		t.Errorf("the return P6 does not reverse P1 with the bank's charge: %+v", r)
	}
	if !strings.Contains(stderr, "8 payments") {
		t.Errorf("stderr does not sum up the run: %q", stderr)
	}
}

func readObjects(t *testing.T, path string, fn func([]byte)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.TrimSpace(line) != "" {
			fn([]byte(line))
		}
	}
}

// TestMatchUnreadableInput: exit status 1 with a message naming the file
// and line; the payments before the broken line are decided.
func TestMatchUnreadableInput(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, matchArgs("broken-payments.jsonl")...)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, filepath.Join("testdata", "match", "broken-payments.jsonl")+" line 3") || !strings.Contains(stderr, "amount_minor") {
		t.Errorf("stderr %q does not name the file, line 3 and the field", stderr)
	}
	if n := len(decisionsOf(t, stdout)); n != 2 {
		t.Errorf("%d decisions written before the broken line, want 2", n)
	}
	for _, args := range [][]string{
		{"match", "--payments", "x.jsonl"},
		matchArgs("payments.jsonl", "--config", filepath.Join("testdata", "match", "typo-rules.yaml")),
		{"match", "--open-items", filepath.Join("testdata", "match", "missing.jsonl"), "--payments", filepath.Join("testdata", "match", "payments.jsonl")},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 1 || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want 1 and nothing", args, code, stdout)
		}
		if !strings.Contains(stderr, "open-items") && !strings.Contains(stderr, "absolut_minor") && !strings.Contains(stderr, "missing.jsonl") {
			t.Errorf("%v: stderr %q does not say what is wrong", args, stderr)
		}
	}
}

// TestMatchConfig: --config reads the tenant's rules; an auto threshold of
// 100 leaves less for automatic booking than the defaults.
func TestMatchConfig(t *testing.T) {
	t.Parallel()
	count := func(args []string) int {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		n := 0
		for _, l := range decisionsOf(t, stdout) {
			if l.Decision == "auto" {
				n++
			}
		}
		return n
	}
	def := count(matchArgs("payments.jsonl"))
	strict := count(matchArgs("payments.jsonl", "--config", filepath.Join("testdata", "match", "rules.yaml")))
	if strict >= def {
		t.Errorf("%d automatic decisions with auto_threshold 100, %d with the defaults; want fewer", strict, def)
	}
}
