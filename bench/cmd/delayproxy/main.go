// Command delayproxy puts an emulated wide-area link in front of an FTP
// server (bench/internal/delayproxy): a one-way delay on every byte of the
// control and passive data connections, the TCP handshake's round trip on
// every new connection, and optional throughput caps. It prints
// "PROXY_ADDR=host:port", then "READY", and runs until its standard input
// is closed or it gets SIGINT/SIGTERM. A line "stats" on standard input
// prints the counters ("STATS sessions=… EPSV=… RETR=…") and resets them.
//
//	delayproxy -target 127.0.0.1:2121 -delay 25ms -conn-rate 8000000 [-trace FILE]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/goftplib/ftp/bench/internal/delayproxy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("delayproxy", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o delayproxy.Options
	target := fl.String("target", "", "the FTP server's `host:port` (required)")
	fl.DurationVar(&o.Delay, "delay", 0, "one-way delay on every byte, both directions")
	fl.Int64Var(&o.ConnRate, "conn-rate", 0, "bytes per second per connection and direction (0: no cap)")
	fl.Int64Var(&o.TotalRate, "total-rate", 0, "bytes per second of all connections, per direction (0: no cap)")
	fl.IntVar(&o.Burst, "burst", 0, "token bucket size in bytes (0: 16 KiB)")
	fl.BoolVar(&o.FreeHandshake, "free-handshake", false, "new connections cost no round trip")
	trace := fl.String("trace", "", "write a line per event (connections, control lines, in ms) to this `file`")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *target == "" || fl.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: delayproxy -target HOST:PORT [-delay D] [-conn-rate B] [-total-rate B] [-trace FILE]")
		return 2
	}
	if *trace != "" {
		f, err := os.Create(*trace)
		if err != nil {
			fmt.Fprintln(stderr, "delayproxy:", err)
			return 1
		}
		defer f.Close()
		o.Trace = f
	}
	p, err := delayproxy.Start(*target, o)
	if err != nil {
		fmt.Fprintln(stderr, "delayproxy:", err)
		return 1
	}
	defer p.Close()
	fmt.Fprintf(stdout, "PROXY_ADDR=%s\nREADY\n", p.Addr)

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return 0
		case l, ok := <-lines:
			if !ok || l == "quit" {
				return 0
			}
			if l == "stats" {
				fmt.Fprintln(stdout, "STATS", p.Stats())
				p.ResetStats()
			}
		}
	}
}
