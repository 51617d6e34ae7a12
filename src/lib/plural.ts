/** "1 site", "2 sites", "1,000 sites": the count and the noun that agrees with it. */
export const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
