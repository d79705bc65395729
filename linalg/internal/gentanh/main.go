// Command gentanh writes tanh_table.go, the table of linalg.Tanh, from the
// constants in tanh.go; it runs in linalg's directory, through
//
//	go generate ./linalg
//
// The work is done by package tanhgen, which linalg's test
// TestTanhTableGenerated also calls.
package main

import (
	"flag"
	"log"
	"os"

	"dinv/linalg/internal/tanhgen"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("gentanh: ")
	src := flag.String("src", "tanh.go", "the file holding Tanh's constants")
	out := flag.String("o", "tanh_table.go", "the file to write")
	flag.Parse()
	if flag.NArg() != 0 {
		log.Fatalf("unexpected arguments %q", flag.Args())
	}
	b, err := os.ReadFile(*src)
	if err != nil {
		log.Fatal(err)
	}
	code, err := tanhgen.Generate(*src, b)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(err)
	}
}
