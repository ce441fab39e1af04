//go:build !o2c_fault_ackfirst

package bus

// ackFirst is false in every real build: a consumer acknowledges a message
// only after its handler returned (see Decide). The build tag
// o2c_fault_ackfirst sets it for the fault harness's broken build.
const ackFirst = false
