package main

import (
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
)

// startProfiles starts the CPU profile (cpu != "") and the block and
// mutex profiles (block != "") of the benchmarks, after the floors; the
// returned function writes them. The instances run in this process, so
// the profiles show the server's costs (and the load generator's).
func startProfiles(cpu, block string) func() {
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		cpuFile = f
	}
	if block != "" {
		runtime.SetBlockProfileRate(10_000) // one sample per 10 µs blocked
		runtime.SetMutexProfileFraction(10)
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if block != "" {
			writeProfile("block", block)
			writeProfile("mutex", block+".mutex")
		}
	}
}

func writeProfile(name, path string) {
	f, err := os.Create(path)
	if err != nil {
		log.Print(err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		log.Print(err)
	}
}

// cpuTime is the CPU time (user + system) this process used so far: on
// a shared machine, CPU per operation drifts less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
