package main

import (
	"fmt"
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
	cmd.AddCommand(newBenchMatchingGenerateCmd())
	return cmd
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
