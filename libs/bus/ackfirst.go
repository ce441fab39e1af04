//go:build o2c_fault_ackfirst

package bus

// ackFirst is set by the build tag o2c_fault_ackfirst, for the fault
// harness (cmd/o2c/internal/faults) only: consumers then acknowledge every
// message before its handler ran, the bug that loses a message whenever
// the handler does not commit (a kill, PostgreSQL away). Never build a
// service with it for any other purpose.
const ackFirst = true
