module github.com/goftplib/ftp

go 1.26

require golang.org/x/text v0.31.0
