/** The kept change events as a list (`GET /events/history`): each one as the event stream sends it. */
import { Type } from '@sinclair/typebox';
import { Nanoseconds, pageOf, ref } from './common.ts';

export const ChangeEvent = Type.Object(
  {
    id: Type.String({
      description: '`<boot>-<seq>`, the stream\'s `id`. As `Last-Event-ID` on `GET /events`, the stream goes on right after this event.',
      examples: ['3f9a0c1d-42'],
    }),
    type: Type.String({ description: 'The stream\'s `event`: the event type.', examples: ['domain.started'] }),
    data: Type.Object(
      { at_ns: Nanoseconds('Simulated time of the change.') },
      { additionalProperties: true, description: 'The stream\'s `data`: `at_ns` and the details of its type.' },
    ),
  },
  { $id: 'ChangeEvent', additionalProperties: false, description: 'One change, as `GET /events` streams it.' },
);

export const ChangeEventList = Type.Array(ref(ChangeEvent), { $id: 'ChangeEventList', description: 'Oldest first.' });

export const ChangeEventPage = pageOf(ref(ChangeEvent), 'ChangeEventPage', 'Oldest first.', 'the kept events');

export const EVENT_SCHEMAS = [ChangeEvent, ChangeEventList, ChangeEventPage];
