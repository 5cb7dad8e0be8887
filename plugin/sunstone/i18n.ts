// Strings through FireEdge's translation pattern: FireEdge's own words (T.*)
// where it has them, so they follow the user's language; oneha's words go
// through the same translate(), which shows the English text until a locale
// carries them.
import { T } from '@ConstantsModule';
import { useTranslation } from '@ProvidersModule';

export function useT(): (word: string, values?: unknown) => string {
  const { translate } = useTranslation();
  return (word, values) => translate(T[word] ?? word, values);
}
