package dunning

// Apply returns the state d leaves: s is not changed.
func (s State) Apply(d Decision) State { return s }

// Settle returns the state after item was settled by a payment or credit
// note.
func (s State) Settle(item string) State { return s }

// Reopen returns the state after item was reopened (a returned direct
// debit): it goes back to the level it had when settled.
func (s State) Reopen(item string) State { return s }
