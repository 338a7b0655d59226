// The entry of a bench script run as its own process: runs `main` on the arguments, then exits
// explicitly (a live Dawn instance, on the webgpu backend, would keep the process running).
export function runMain(main: (argv: string[]) => Promise<void>): void {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(2);
    },
  );
}
