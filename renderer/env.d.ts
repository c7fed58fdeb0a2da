// The renderer imports its global stylesheet for its side effect; Vite bundles it into a file the CSP allows.
declare module '*.css'
