// Plain JavaScript on purpose: it must run, and explain, on a Node too old to load the TypeScript core.
if (!process.features.typescript) {
  process.stderr.write(
    `✖ the hack scripts need Node >= 22.18, which runs TypeScript directly (this is ${process.version}) — install Node 22 (e.g. nvm install 22)\n`,
  );
  process.exit(1);
}
