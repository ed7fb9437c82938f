package api

import (
	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/runtime"
)

type runtimeKV = runtime.KVNamespace

func emulatortestEnv(env string) emulatortest.Option { return emulatortest.WithEnv(env) }
