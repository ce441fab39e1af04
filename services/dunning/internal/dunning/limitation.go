package dunning

// TimeBarred reports whether the claim of it is time-barred on on, and the
// date it becomes (or became) time-barred: the first day the debtor may
// refuse payment.
func TimeBarred(it Item, on Date) (bool, Date) { return false, Date{} }
