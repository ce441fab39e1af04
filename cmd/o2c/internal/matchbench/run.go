package matchbench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Files are the files of a generated data set in Dir.
type Files struct{ Dir string }

// Items returns the path of the open items.
func (f Files) Items() string { return filepath.Join(f.Dir, ItemsFile) }

// Payments returns the path of the payments.
func (f Files) Payments() string { return filepath.Join(f.Dir, PaymentsFile) }

// Debtors returns the path of the debtors' master data.
func (f Files) Debtors() string { return filepath.Join(f.Dir, DebtorsFile) }

// History returns the path of the earlier confirmed payments.
func (f Files) History() string { return filepath.Join(f.Dir, HistoryFile) }

// Truth returns the path of the truth.
func (f Files) Truth() string { return filepath.Join(f.Dir, TruthFile) }

// ExecMatch runs `binary match` over the files as the contract specifies,
// writing its decisions to decisions, and returns how long it ran and its
// peak resident memory (from the child's rusage). config, if set, is passed
// as --config. It is the same code path as running o2c match by hand.
func ExecMatch(ctx context.Context, binary string, f Files, config, decisions string) (EngineRun, error) {
	out, err := os.Create(decisions)
	if err != nil {
		return EngineRun{}, fmt.Errorf("create %s: %w", decisions, err)
	}
	defer out.Close()
	args := []string{"match", "--open-items", f.Items(), "--payments", f.Payments(), "--debtors", f.Debtors(), "--history", f.History()}
	if config != "" {
		args = append(args, "--config", config)
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return EngineRun{}, fmt.Errorf("%s %s: %w: %s", binary, strings.Join(args, " "), err, lastLines(stderr.String(), 10))
	}
	if err := out.Close(); err != nil {
		return EngineRun{}, fmt.Errorf("write %s: %w", decisions, err)
	}
	run := EngineRun{Seconds: elapsed.Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		// Linux reports ru_maxrss in KiB.
		run.PeakRSSBytes = ru.Maxrss * 1024
	}
	return run, nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], "\n")
}

// RunOptions says what Run generates and how it runs the engine.
type RunOptions struct {
	Scenario Scenario
	Seed     uint64
	// Dir is where the data and the decisions are written.
	Dir string
	// Binary is the o2c executable whose match command is measured.
	Binary string
	// Config is passed to o2c match as --config when set.
	Config    string
	GraceDays int
}

// DecisionsFile is the name of the decisions Run writes next to the data.
const DecisionsFile = "decisions.jsonl"

// Run generates the scenario into opt.Dir, runs o2c match over it, and
// scores the decisions, with the engine's time and memory in the report.
func Run(ctx context.Context, opt RunOptions) (Report, error) {
	sum, err := Generate(opt.Dir, opt.Scenario, opt.Seed)
	if err != nil {
		return Report{}, err
	}
	f := Files{Dir: opt.Dir}
	decisions := filepath.Join(opt.Dir, DecisionsFile)
	eng, err := ExecMatch(ctx, opt.Binary, f, opt.Config, decisions)
	if err != nil {
		return Report{}, err
	}
	if eng.Seconds > 0 {
		eng.PaymentsPerSecond = float64(sum.Payments) / eng.Seconds
	}
	r, err := Score(ScoreInput{Items: f.Items(), Payments: f.Payments(), Truth: f.Truth(), Decisions: decisions, GraceDays: opt.GraceDays})
	if err != nil {
		return r, err
	}
	r.Scenario, r.Seed, r.Engine = opt.Scenario.Name, opt.Seed, &eng
	return r, nil
}
