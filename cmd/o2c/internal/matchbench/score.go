package matchbench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// ScoreInput names the files a score reads. Items and Payments are needed
// for the contract check (open amounts, arithmetic).
type ScoreInput struct {
	Items, Payments, Truth, Decisions string
	// GraceDays is the tenant's grace on cash discount periods that the
	// engine was configured with (default 0).
	GraceDays int
}

// Report is the score of one run: the contract check and the metrics of
// issue #14 overall and per situation.
type Report struct {
	Scenario string `json:"scenario,omitempty"`
	Seed     uint64 `json:"seed,omitempty"`
	Items    int    `json:"items"`
	Payments int    `json:"payments"`
	// WithMatch counts payments with a true match: they pay items, reverse
	// a payment, or are a known debtor's (a duplicate kept as credit).
	WithMatch int `json:"with_match"`
	Nobody    int `json:"nobody"`

	Auto        int `json:"auto"`
	AutoOnMatch int `json:"auto_on_match"`
	AutoCorrect int `json:"auto_correct"`
	Proposed    int `json:"proposed"`
	// ProposedWithMatch counts proposed decisions for payments with a true
	// match; ProposedTop3 those whose truth is the main proposal or one of
	// the first two alternatives.
	ProposedWithMatch int `json:"proposed_with_match"`
	ProposedTop3      int `json:"proposed_top3"`
	Unmatched         int `json:"unmatched"`
	// NobodyAuto and NobodyProposed are false matches: decisions with a
	// debtor or allocations for payments that belong to nobody.
	NobodyAuto     int `json:"nobody_auto"`
	NobodyProposed int `json:"nobody_proposed"`

	AutoRate      float64 `json:"auto_rate"`
	AutoPrecision float64 `json:"auto_precision"`
	Top3Accuracy  float64 `json:"top3_accuracy"`

	Violations       int            `json:"violations"`
	ViolationsByRule map[string]int `json:"violations_by_rule"`
	// ViolationExamples are the first violations found.
	ViolationExamples []Violation `json:"violation_examples"`
	// WrongAuto and Top3Misses are the first wrong auto decisions and the
	// first proposals missing their truth, for whoever tunes the engine.
	WrongAuto  []Miss `json:"wrong_auto"`
	Top3Misses []Miss `json:"top3_misses"`

	Situations []SituationScore `json:"situations"`
	Engine     *EngineRun       `json:"engine,omitempty"`
}

// Miss is a decision that did not find the truth.
type Miss struct {
	Payment   string   `json:"payment"`
	Situation string   `json:"situation"`
	Noise     []string `json:"noise"`
}

// SituationScore is the score of the payments of one situation.
type SituationScore struct {
	Situation   string `json:"situation"`
	Payments    int    `json:"payments"`
	Auto        int    `json:"auto"`
	AutoCorrect int    `json:"auto_correct"`
	Proposed    int    `json:"proposed"`
	Top3        int    `json:"top3"`
	Unmatched   int    `json:"unmatched"`
}

// EngineRun is how long `o2c match` ran and the most memory it held.
type EngineRun struct {
	Seconds           float64 `json:"seconds"`
	PaymentsPerSecond float64 `json:"payments_per_second"`
	PeakRSSBytes      int64   `json:"peak_rss_bytes"`
}

const maxExamples = 20

// Score reads the files of in and scores the decisions against the truth.
// Decisions must be one per payment in input order (ErrMismatch otherwise);
// contract violations are counted, not returned as errors.
func Score(in ScoreInput) (Report, error) {
	var r Report
	c := newChecker(nil, in.GraceDays)
	if err := eachLine(in.Items, func(it Item) error {
		c.addItem(it)
		r.Items++
		return nil
	}); err != nil {
		return r, err
	}
	payments, err := openLines[Payment](in.Payments)
	if err != nil {
		return r, err
	}
	defer payments.close()
	truths, err := openLines[Truth](in.Truth)
	if err != nil {
		return r, err
	}
	defer truths.close()
	decisions, err := openLines[Decision](in.Decisions)
	if err != nil {
		return r, err
	}
	defer decisions.close()
	r.ViolationsByRule = map[string]int{}
	bySit := map[string]*SituationScore{}
	for {
		p, okP, err := payments.next()
		if err != nil {
			return r, err
		}
		t, okT, err := truths.next()
		if err != nil {
			return r, err
		}
		d, okD, err := decisions.next()
		if err != nil {
			return r, err
		}
		if !okP && !okT && !okD {
			break
		}
		switch {
		case !okP || !okT:
			return r, fmt.Errorf("%w: %s and %s have different numbers of lines", ErrMismatch, in.Payments, in.Truth)
		case !okD:
			return r, fmt.Errorf("%w: %s ends at line %d, payment %s has no decision", ErrMismatch, in.Decisions, decisions.line, p.ID)
		case t.Payment != p.ID:
			return r, fmt.Errorf("%w: %s line %d is for payment %s, %s has %s", ErrMismatch, in.Truth, truths.line, t.Payment, in.Payments, p.ID)
		case d.Payment != p.ID:
			return r, fmt.Errorf("%w: %s line %d is for payment %q, payment %s expected (one decision per payment, in input order)", ErrMismatch, in.Decisions, decisions.line, d.Payment, p.ID)
		}
		for _, v := range c.check(p, d) {
			r.Violations++
			r.ViolationsByRule[v.Rule]++
			if len(r.ViolationExamples) < maxExamples {
				r.ViolationExamples = append(r.ViolationExamples, v)
			}
		}
		s := bySit[t.Situation]
		if s == nil {
			s = &SituationScore{Situation: t.Situation}
			bySit[t.Situation] = s
		}
		r.add(s, t, d)
	}
	for _, k := range slices.Sorted(maps.Keys(bySit)) {
		r.Situations = append(r.Situations, *bySit[k])
	}
	r.AutoRate = ratio(r.AutoOnMatch, r.WithMatch)
	r.AutoPrecision = ratio(r.AutoCorrect, r.Auto)
	r.Top3Accuracy = ratio(r.ProposedTop3, r.ProposedWithMatch)
	return r, nil
}

// ratio is n/d, or 1 when d is 0 (nothing to get wrong).
func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

func (r *Report) add(s *SituationScore, t Truth, d Decision) {
	r.Payments++
	s.Payments++
	miss := Miss{Payment: t.Payment, Situation: t.Situation, Noise: t.Noise}
	hasMatch := t.Match != MatchNone
	if hasMatch {
		r.WithMatch++
	} else {
		r.Nobody++
	}
	switch d.Decision {
	case "auto":
		r.Auto++
		s.Auto++
		if hasMatch {
			r.AutoOnMatch++
		} else {
			r.NobodyAuto++
		}
		if hasMatch && (t.Debtor == nil || d.Debtor != nil && *d.Debtor == *t.Debtor) && sameMatch(t, d.Allocations, d.Difference, d.Reverses) {
			r.AutoCorrect++
			s.AutoCorrect++
		} else if len(r.WrongAuto) < maxExamples {
			r.WrongAuto = append(r.WrongAuto, miss)
		}
	case "proposed":
		r.Proposed++
		s.Proposed++
		if !hasMatch {
			if d.Debtor != nil || len(d.Allocations) > 0 {
				r.NobodyProposed++
			}
			break
		}
		r.ProposedWithMatch++
		top := sameMatch(t, d.Allocations, d.Difference, d.Reverses) && (t.Debtor == nil || d.Debtor != nil && *d.Debtor == *t.Debtor)
		for _, a := range d.Alternatives[:min(2, len(d.Alternatives))] {
			top = top || sameMatch(t, a.Allocations, a.Difference, d.Reverses)
		}
		if top {
			r.ProposedTop3++
			s.Top3++
		} else if len(r.Top3Misses) < maxExamples {
			r.Top3Misses = append(r.Top3Misses, miss)
		}
	default:
		r.Unmatched++
		s.Unmatched++
	}
}

// sameMatch reports whether allocations (summed per item), difference
// (kind and amount; a zero difference is none) and reversed payment are
// those of the truth.
func sameMatch(t Truth, allocs []Allocation, diff *Difference, reverses *string) bool {
	if t.Match == MatchNone {
		return false
	}
	if !maps.Equal(perItem(t.Allocations), perItem(allocs)) {
		return false
	}
	a, b := normDiff(t.Difference), normDiff(diff)
	if (a == nil) != (b == nil) || a != nil && *a != *b {
		return false
	}
	if t.Reverses != nil && (reverses == nil || *reverses != *t.Reverses) {
		return false
	}
	return t.Reverses != nil || reverses == nil
}

func perItem(as []Allocation) map[string]int64 {
	m := make(map[string]int64, len(as))
	for _, a := range as {
		m[a.OpenItem] += a.AmountMinor
	}
	for k, v := range m {
		if v == 0 {
			delete(m, k)
		}
	}
	return m
}

func normDiff(d *Difference) *Difference {
	if d == nil || d.AmountMinor == 0 {
		return nil
	}
	return d
}

// lines reads a JSON Lines file one value at a time.
type lines[T any] struct {
	name string
	f    *os.File
	sc   *bufio.Scanner
	line int
}

func openLines[T any](name string) (*lines[T], error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 64<<20)
	return &lines[T]{name: name, f: f, sc: sc}, nil
}

// next returns the next value; ok is false at the end. Blank lines are
// skipped.
func (l *lines[T]) next() (T, bool, error) {
	var v T
	for l.sc.Scan() {
		l.line++
		b := l.sc.Bytes()
		if strings.TrimSpace(string(b)) == "" {
			continue
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return v, false, fmt.Errorf("%w: %s line %d: %w", ErrBadInput, l.name, l.line, err)
		}
		return v, true, nil
	}
	if err := l.sc.Err(); err != nil {
		return v, false, fmt.Errorf("%w: %s after line %d: %w", ErrBadInput, l.name, l.line, err)
	}
	return v, false, nil
}

func (l *lines[T]) close() { l.f.Close() }

func eachLine[T any](name string, fn func(T) error) error {
	l, err := openLines[T](name)
	if err != nil {
		return err
	}
	defer l.close()
	for {
		v, ok, err := l.next()
		if err != nil || !ok {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
}

// Passed reports whether the run kept the contract: no violations.
func (r Report) Passed() bool { return r.Violations == 0 }

// Target is a goal of issue #14 and whether the run met it.
type Target struct {
	What string `json:"what"`
	Met  bool   `json:"met"`
}

// Targets returns the goals of issue #14 that apply to the run's
// scenario: on the default scenario the automatic rate, the precision of
// auto decisions and the top-3 accuracy; on scale the time for 100,000
// payments.
func (r Report) Targets() []Target {
	var ts []Target
	switch r.Scenario {
	case DefaultScenario:
		ts = append(ts,
			Target{What: "automatic rate at least 95 %", Met: r.AutoRate >= 0.95},
			Target{What: "precision of auto decisions at least 99.9 %", Met: r.AutoPrecision >= 0.999},
			Target{What: "every proposed decision has its true match in its top three", Met: r.ProposedTop3 == r.ProposedWithMatch},
		)
	case "scale":
		if r.Engine != nil {
			ts = append(ts, Target{What: "100,000 payments against 1,000,000 open items in under 60 s", Met: r.Engine.Seconds < 60})
		}
	}
	return ts
}

// Print writes the report as tables for people.
func (r Report) Print(w io.Writer) {
	pct := func(x float64) string { return fmt.Sprintf("%.2f %%", 100*x) }
	title := "matching benchmark"
	if r.Scenario != "" {
		title += fmt.Sprintf(" %s seed %d", r.Scenario, r.Seed)
	}
	fmt.Fprintf(w, "%s: %d payments, %d open items\n", title, r.Payments, r.Items)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  automatic rate\t%s\t%d auto of %d payments with a true match\n", pct(r.AutoRate), r.AutoOnMatch, r.WithMatch)
	fmt.Fprintf(tw, "  precision of auto\t%s\t%d of %d auto decisions exactly right (debtor, items, amounts, difference)\n", pct(r.AutoPrecision), r.AutoCorrect, r.Auto)
	fmt.Fprintf(tw, "  top-3 of proposals\t%s\t%d of %d proposed decisions with a true match\n", pct(r.Top3Accuracy), r.ProposedTop3, r.ProposedWithMatch)
	fmt.Fprintf(tw, "  belongs to nobody\t%d false auto\t%d proposed with a debtor or items, of %d such payments\n", r.NobodyAuto, r.NobodyProposed, r.Nobody)
	fmt.Fprintf(tw, "  decisions\t%d auto\t%d proposed, %d unmatched\n", r.Auto, r.Proposed, r.Unmatched)
	if e := r.Engine; e != nil {
		fmt.Fprintf(tw, "  throughput\t%.0f payments/s\t%.2f s in o2c match, peak memory %d MiB\n", e.PaymentsPerSecond, e.Seconds, e.PeakRSSBytes>>20)
	}
	fmt.Fprintf(tw, "  contract\t%d violations\t\n", r.Violations)
	tw.Flush()
	if r.Violations > 0 {
		for _, k := range slices.Sorted(maps.Keys(r.ViolationsByRule)) {
			fmt.Fprintf(w, "    %-14s %d\n", k, r.ViolationsByRule[k])
		}
		for _, v := range r.ViolationExamples {
			fmt.Fprintf(w, "    %s %s: %s\n", v.Payment, v.Rule, v.Detail)
		}
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SITUATION\tPAYMENTS\tAUTO\tRIGHT\tPROPOSED\tTOP-3\tUNMATCHED\t")
	for _, s := range r.Situations {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", s.Situation, s.Payments, s.Auto, s.AutoCorrect, s.Proposed, s.Top3, s.Unmatched)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, t := range r.Targets() {
		state := "missed"
		if t.Met {
			state = "met"
		}
		fmt.Fprintf(w, "target (issue #14): %s: %s\n", t.What, state)
	}
	if r.Passed() {
		fmt.Fprintln(w, "verdict: PASS (every decision keeps the contract)")
	} else {
		fmt.Fprintf(w, "verdict: FAIL (%d contract violations)\n", r.Violations)
	}
}
