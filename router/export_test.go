package router

// SetRouteHook makes f run each time a request is routed (by ServeHTTP
// or Match); nil removes it. Set it before anything is served.
func SetRouteHook(f func()) { testHookRoute = f }
