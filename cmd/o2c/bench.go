package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/matchbench"
)

// newBenchCmd is `o2c bench`: benchmarks with ground truth that run
// offline, without the services.
func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmarks with ground truth (matching)",
	}
	cmd.AddCommand(newBenchMatchingCmd())
	return cmd
}

func newBenchMatchingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "matching",
		Short: "The matching benchmark: generate data with its truth, score decisions, or both around o2c match",
		Long: `The matching benchmark generates open items, debtors, history and payments with the
noise real payers and banks produce, and the truth of what each payment pays
(truth.jsonl). Its scorer compares the decisions of o2c match with that truth.
Scenarios: ` + strings.Join(matchbench.Scenarios(), ", ") + `; the same seed and scenario
always give the same data.`,
	}
	cmd.AddCommand(newBenchMatchingGenerateCmd(), newBenchMatchingScoreCmd(), newBenchMatchingRunCmd())
	return cmd
}

func newBenchMatchingScoreCmd() *cobra.Command {
	var in matchbench.ScoreInput
	var jsonOut string
	cmd := &cobra.Command{
		Use:   "score --truth DIR/truth.jsonl --decisions DECISIONS.jsonl [--json FILE]",
		Short: "Score decisions of o2c match against a generated truth and check them against the contract",
		Long: `score compares DECISIONS.jsonl with the truth and prints the automatic rate (auto
decisions over payments with a true match), the precision of auto decisions (debtor,
items, amounts and difference exactly right), the top-3 accuracy of proposals (truth
is the main proposal or one of the first two alternatives), false matches on payments
that belong to nobody, and a breakdown per situation. Every decision is checked
against the contract's arithmetic and open-amount rules (shared/contracts/o2c-match.md);
any violation fails the verdict and the exit status is 1. The open items and payments
are read from the truth's directory unless named.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := matchbench.Files{Dir: filepath.Dir(in.Truth)}
			if in.Items == "" {
				in.Items = dir.Items()
			}
			if in.Payments == "" {
				in.Payments = dir.Payments()
			}
			r, err := matchbench.Score(in)
			if err != nil {
				return err
			}
			return reportBench(cmd, r, jsonOut)
		},
	}
	cmd.Flags().StringVar(&in.Truth, "truth", "", "truth.jsonl of a generated data set")
	cmd.Flags().StringVar(&in.Decisions, "decisions", "", "the decisions of o2c match")
	cmd.Flags().StringVar(&in.Items, "open-items", "", "open items (default: items.jsonl next to the truth)")
	cmd.Flags().StringVar(&in.Payments, "payments", "", "payments (default: payments.jsonl next to the truth)")
	cmd.Flags().IntVar(&in.GraceDays, "grace-days", 0, "cash discount grace days the engine was configured with")
	cmd.Flags().StringVar(&jsonOut, "json", "", "also write the report as JSON to this file (- for standard output instead of the tables)")
	_ = cmd.MarkFlagRequired("truth")
	_ = cmd.MarkFlagRequired("decisions")
	return cmd
}

func newBenchMatchingRunCmd() *cobra.Command {
	var opt matchbench.RunOptions
	var scenario, keep, jsonOut string
	cmd := &cobra.Command{
		Use:   "run [--seed N] [--scenario S] [--config RULES.yaml] [--keep DIR] [--json FILE]",
		Short: "Generate a scenario, run o2c match over it (timed, peak memory measured) and score it",
		Long: `run generates the scenario into a temporary directory (or --keep DIR, which is kept),
runs this binary's o2c match over it exactly as a user would — the same code path
and configuration — measuring its wall time and peak resident memory, and scores
the decisions as score does. Exit status 1 when a decision breaks the contract.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := matchbench.Lookup(scenario)
			if err != nil {
				return err
			}
			opt.Scenario = sc
			if opt.Binary, err = os.Executable(); err != nil {
				return fmt.Errorf("find the o2c binary to run match: %w", err)
			}
			if opt.Dir = keep; keep == "" {
				if opt.Dir, err = os.MkdirTemp("", "o2c-matchbench-*"); err != nil {
					return err
				}
				defer os.RemoveAll(opt.Dir)
			}
			r, err := matchbench.Run(cmd.Context(), opt)
			if err != nil {
				return err
			}
			return reportBench(cmd, r, jsonOut)
		},
	}
	cmd.Flags().Uint64Var(&opt.Seed, "seed", 1, "random seed")
	cmd.Flags().StringVar(&scenario, "scenario", matchbench.DefaultScenario, "scenario: "+strings.Join(matchbench.Scenarios(), "|"))
	cmd.Flags().StringVar(&opt.Config, "config", "", "matching rules passed to o2c match --config")
	cmd.Flags().IntVar(&opt.GraceDays, "grace-days", 0, "cash discount grace days of that configuration, for the contract check")
	cmd.Flags().StringVar(&keep, "keep", "", "generate into this directory and keep it with decisions.jsonl")
	cmd.Flags().StringVar(&jsonOut, "json", "", "also write the report as JSON to this file (- for standard output instead of the tables)")
	return cmd
}

// reportBench prints r, writes it as JSON when asked, and fails with exit
// status 1 when a decision broke the contract.
func reportBench(cmd *cobra.Command, r matchbench.Report, jsonOut string) error {
	if jsonOut != "-" {
		r.Print(cmd.OutOrStdout())
	}
	if jsonOut != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if jsonOut == "-" {
			_, err = cmd.OutOrStdout().Write(b)
		} else {
			err = os.WriteFile(jsonOut, b, 0o644)
		}
		if err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	if !r.Passed() {
		return exitCode(1)
	}
	return nil
}

func newBenchMatchingGenerateCmd() *cobra.Command {
	var seed uint64
	var scenario, out string
	cmd := &cobra.Command{
		Use:   "generate [--seed N] [--scenario S] --out DIR",
		Short: "Write items, payments, debtors, history and truth of a scenario into DIR",
		Long: `generate writes DIR/items.jsonl, payments.jsonl, debtors.jsonl and history.jsonl in
the formats of shared/contracts/o2c-match.md, and DIR/truth.jsonl: per payment its
true debtor, the items and amounts it pays and the difference, "match": "none"
for a payment that belongs to nobody, the payment a return reverses, and the
situation and noise that produced it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := matchbench.Lookup(scenario)
			if err != nil {
				return err
			}
			sum, err := matchbench.Generate(out, sc, seed)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s seed %d: %d debtors, %d open items, %d payments, %d history lines in %s\n",
				sum.Scenario, sum.Seed, sum.Debtors, sum.Items, sum.Payments, sum.History, out)
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	cmd.Flags().StringVar(&scenario, "scenario", matchbench.DefaultScenario, "scenario: "+strings.Join(matchbench.Scenarios(), "|"))
	cmd.Flags().StringVar(&out, "out", "", "directory to write into (created if missing)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
