package router

// SetRouteHook makes f run each time ServeHTTP routes a request; nil
// removes it. Set it before anything is served.
func SetRouteHook(f func()) { testHookRoute = f }
