package service

import "github.com/o2c-platform/o2c/libs/host"

// HostOf exposes the host of s to the package's external tests.
func HostOf(s *Ingestion) *host.Host { return s.h }
