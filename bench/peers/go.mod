// Module peers holds the Go peers of bench/compare.sh. It is a separate
// module so that the library never depends on a competitor: the root
// module's `go build ./...` and `go test ./...` do not enter it.
module github.com/goftplib/ftp/bench/peers

go 1.26

require github.com/jlaffaye/ftp v0.2.4
