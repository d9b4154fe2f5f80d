/** What the dev mailbox page shows: the whole mail (it is a development tool on loopback only). */
export const mailboxSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['messages'],
  properties: {
    messages: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['to', 'subject', 'text', 'html', 'sentAt'],
        properties: {
          to: { type: 'string' },
          subject: { type: 'string' },
          text: { type: 'string' },
          html: { type: 'string' },
          sentAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;
