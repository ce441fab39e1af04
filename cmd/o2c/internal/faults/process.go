package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Process is a service binary run as an OS process of its own under a
// small supervisor: Kill sends SIGKILL, Restart starts the binary again
// with the same environment (so on the same address, against the same
// database and NATS), and a process that exits by itself (its database or
// NATS went away while it started, say) is started again after a pause, as
// a container runtime would. It implements chaos.Target.
type Process struct {
	name, bin string
	args, env []string
	logPath   string
	ready     func(ctx context.Context) error

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	killed  bool // Kill or Stop asked for the current exit
	stopped bool

	// exits counts the exits the harness did not cause.
	exits atomic.Int64
}

// restartPause is how long the supervisor waits before starting a process
// that exited by itself again.
const restartPause = 300 * time.Millisecond

// startProcess starts bin with args and env, appending its output to
// logPath, and returns once ready returns nil (or fails when ctx ends
// first).
func startProcess(ctx context.Context, name, bin string, args, env []string, logPath string, ready func(ctx context.Context) error) (*Process, error) {
	p := &Process{name: name, bin: bin, args: args, env: env, logPath: logPath, ready: ready}
	p.mu.Lock()
	err := p.startLocked()
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// startLocked starts the binary; p.mu is held.
func (p *Process) startLocked() error {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("%s: log file: %w", p.name, err)
	}
	fmt.Fprintf(logf, "=== %s: start %s\n", time.Now().Format(time.RFC3339Nano), p.bin)
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a signal to the test (Ctrl-C) does not reach
	// it; Stop ends it. Should the harness die first, the kernel kills it
	// (Linux).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.killed = cmd, exited, false
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(logf, "=== %s: exited: %v\n", time.Now().Format(time.RFC3339Nano), err)
		logf.Close()
		close(exited)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.killed || p.stopped || p.exited != exited {
			return
		}
		p.exits.Add(1)
		go p.supervise(exited)
	}()
	return nil
}

// supervise starts the process again after it exited by itself, unless
// the harness killed, restarted or stopped it meanwhile.
func (p *Process) supervise(exited chan struct{}) {
	time.Sleep(restartPause)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed || p.stopped || p.exited != exited {
		return
	}
	if err := p.startLocked(); err != nil {
		// Nothing to start with: the next Restart or the checks say so.
		p.killed = true
	}
}

// Name returns the service's name.
func (p *Process) Name() string { return p.name }

// Exits returns how often the process exited without being killed.
func (p *Process) Exits() int64 { return p.exits.Load() }

// Kill sends SIGKILL to the process and waits until it is gone.
func (p *Process) Kill() error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.killed = true
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-exited
	return nil
}

// Restart starts the killed process again and returns once it is ready.
func (p *Process) Restart(ctx context.Context) error {
	p.mu.Lock()
	select {
	case <-p.exited:
	default:
		p.mu.Unlock()
		return fmt.Errorf("restart %s: it is running", p.name)
	}
	err := p.startLocked()
	p.mu.Unlock()
	if err != nil {
		return err
	}
	return p.waitReady(ctx)
}

// waitReady polls ready until it returns nil or ctx ends. A process that
// exits meanwhile is started again by its supervisor, so the wait goes on.
func (p *Process) waitReady(ctx context.Context) error {
	if p.ready == nil {
		return nil
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := p.ready(rctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last: %v; its log: %s)", p.name, ctx.Err(), err, p.logPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop ends the process with SIGTERM (SIGKILL after 10 s) and stops
// supervising it.
func (p *Process) Stop() {
	p.mu.Lock()
	p.stopped = true
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
}
