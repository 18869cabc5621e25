/** Types of related-markup.js (plain JavaScript, because browsers receive it as it is). */
export interface RelatedListForMarkup {
  recommendation_id?: string;
  results: readonly {
    id: string;
    title: string;
    url: string | null;
    published_at: string | null;
    image_url?: string | null;
    section?: string | null;
  }[];
}
export function escapeHtml(value: unknown): string;
export function formatPublished(value: string): string;
export const relatedStyles: string;
export function renderRelatedMarkup(list: RelatedListForMarkup, options: { minResults: number; heading?: string }): string;
