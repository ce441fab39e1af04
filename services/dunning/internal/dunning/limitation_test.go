package dunning

import "testing"

func TestTimeBarred(t *testing.T) {
	t.Parallel()
	due := day(2021, 3, 10)
	for _, tc := range []struct {
		name   string
		change func(*Item)
		on     Date
		barred bool
		from   Date
	}{
		{name: "three years from the end of the year it arose: not yet on 31 December", on: day(2024, 12, 31), from: day(2025, 1, 1)},
		{name: "barred on 1 January", on: day(2025, 1, 1), barred: true, from: day(2025, 1, 1)},
		{
			name:   "a part payment starts the period anew (§212)",
			change: func(it *Item) { it.PartPayments = []Date{day(2023, 6, 15)} },
			on:     day(2025, 1, 1), from: day(2026, 6, 16),
		},
		{
			name:   "an acknowledgement after limitation starts nothing",
			change: func(it *Item) { it.Acknowledgements = []Date{day(2025, 2, 1)} },
			on:     day(2025, 3, 1), barred: true, from: day(2025, 1, 1),
		},
		{
			name: "negotiations suspend and run out three months after they end (§203)",
			change: func(it *Item) {
				it.SuspendedFrom, it.SuspendedTo = []Date{day(2024, 11, 1)}, []Date{day(2024, 12, 15)}
			},
			on: day(2025, 3, 15), from: day(2025, 3, 16),
		},
		{
			name: "court dunning suspends for its length (§§204, 209)",
			change: func(it *Item) {
				it.SuspendedFrom, it.SuspendedTo = []Date{day(2024, 6, 1)}, []Date{day(2025, 6, 30)}
			},
			on: day(2026, 1, 30), from: day(2026, 1, 31),
		},
		{
			name:   "a suspension still running keeps the claim alive",
			change: func(it *Item) { it.SuspendedFrom, it.SuspendedTo = []Date{day(2024, 10, 1)}, []Date{{}} },
			on:     day(2027, 1, 1),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			it := invoice("i1", due)
			if tc.change != nil {
				tc.change(&it)
			}
			barred, from := TimeBarred(it, tc.on)
			if barred != tc.barred || from != tc.from {
				t.Errorf("TimeBarred on %s = %v, %s; want %v, %s", tc.on, barred, from, tc.barred, tc.from)
			}
		})
	}
}
